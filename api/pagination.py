from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """`limit`/`offset` paging that rejects what it cannot honour instead of silently guessing."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def get_limit(self, request):
        return self._parse(request, self.limit_query_param, self.default_limit, minimum=1, maximum=self.max_limit)

    def get_offset(self, request):
        return self._parse(request, self.offset_query_param, 0, minimum=0)

    @staticmethod
    def _parse(request, name, default, minimum, maximum=None):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"{minimum} or more"
        try:
            value = int(raw)
        except ValueError:
            raise exceptions.ValidationError({name: [f"Must be a whole number {bound}, not {raw[:40]!r}."]}) from None
        if value < minimum or (maximum is not None and value > maximum):
            raise exceptions.ValidationError({name: [f"Must be a whole number {bound}, not {value}."]})
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Number of results per page: default {self.default_limit}, maximum {self.max_limit}."
                )
                parameter["schema"].update({"minimum": 1, "maximum": self.max_limit, "default": self.default_limit})
            elif parameter["name"] == self.offset_query_param:
                parameter["description"] = "Index of the first result to return (0-based)."
                parameter["schema"].update({"minimum": 0, "default": 0})
        return parameters
