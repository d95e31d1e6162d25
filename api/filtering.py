"""The filter backend of every list: one FilterSet per request.

The view validates every query parameter up front (so one 400 names all that is wrong) with a
FilterSet; filtering reuses that FilterSet instead of building and validating a second one,
which would deep-copy every filter and form field again and look each slug up again. Records
fetched by slug are not filtered (their lists' parameters do not apply to them).
"""

from django_filters.rest_framework import DjangoFilterBackend


class ValidatedFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        if getattr(view, "detail", False) and getattr(view, "action", None) not in ("timeline",):
            return None
        filterset = getattr(view, "validated_filterset", None)
        if filterset is None or filterset.data is not request.query_params:
            return super().get_filterset(request, queryset, view)
        filterset.queryset = queryset
        filterset.__dict__.pop("_qs", None)
        return filterset
