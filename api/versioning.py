"""No lost updates, no half-written changes: what every record's endpoints add to reading and writing.

- Every answer with one record (GET, and the answers of POST, PUT and PATCH) carries
  `ETag: "kb<K>-v<V>"`: V is the record's `version` (kb.versioning advances it at every change of
  the record or its parts), K the knowledge base's version (`knowledge_base_version()`).
- PUT, PATCH and DELETE honour `If-Match`: the record is locked, and unless the version the
  client names is the record's version now, the answer is 412 with the current ETag and version
  and nothing is written. Only V is compared: K moves with every change to any record, which
  does not make this record's ETag stale. A request without If-Match is accepted (as before
  this header existed); `If-Match: *` accepts any version.
- A PATCH writes only the fields it names (`save(update_fields=...)`), on the record as it is
  once locked: two PATCHes of different fields both survive, whichever commits first.
- Every write runs in one transaction with everything it causes (history, search text,
  versions, its parts), which an error answer rolls back whole.
"""

import re

from django.db import transaction
from rest_framework import exceptions, status
from rest_framework.utils import model_meta

from kb import version as kb_version

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CONDITIONAL_ACTIONS = frozenset({"update", "partial_update", "destroy"})
# An ETag as we send it; W/ because gzip weakens the ETags of the answers it compresses.
ETAG = re.compile(r'(?:W/)?"kb(\d+)-v(\d+)"')


def knowledge_base_version():
    """K, the knowledge base's version (kb.version), in every record's ETag."""
    return kb_version.current()[0]


def etag_for(version, request=None):
    """The record's ETag; K as the request read it already (config.http_cache), else read now."""
    number = getattr(request, "kb_version", None)
    return f'"kb{knowledge_base_version() if number is None else number}-v{version}"'


class PreconditionFailed(exceptions.APIException):
    """412: the record changed since the version the client sent in If-Match."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, record, sent_versions):
        self.version = record.version
        self.etag = etag_for(record.version)
        name = record._meta.verbose_name
        sent = ", ".join(str(version) for version in sent_versions)
        super().__init__(
            f"This {name} changed since you read it: you sent version {sent}, it is now at version "
            f"{record.version}. Nothing was written. GET it again, apply your change to what it is now, "
            f"and send its new ETag ({self.etag}) in If-Match."
        )


def check_if_match(request, record):
    """Refuse the write unless If-Match names the record's current version (or is absent or *)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return
    sent = [int(match.group(2)) for match in ETAG.finditer(header)]
    if not sent:
        raise exceptions.ValidationError(
            {
                "If-Match": [
                    f'Not an ETag of this API: {header[:100]!r}. Send the ETag header of the record\'s GET, e.g. "kb0-v3".'
                ]
            }
        )
    if record.version not in sent:
        raise PreconditionFailed(record, sent)


class VersionedRecordViewSet:
    """A ModelViewSet mixin: ETags, If-Match, locked and whole writes (see the module's docstring)."""

    versioned_record = None
    # A read's version, when it read the record's row rather than the record (api.views).
    record_version = None

    def dispatch(self, request, *args, **kwargs):
        if request.method not in WRITE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                # The exception handler answered, so no exception leaves the block: undo what was
                # written before the error (a record saved before its citation was refused).
                transaction.set_rollback(True)
        return response

    def get_object(self):
        if self.action in CONDITIONAL_ACTIONS:
            self._lock_the_record()
        record = super().get_object()
        if self.action in CONDITIONAL_ACTIONS:
            check_if_match(self.request, record)
        self.versioned_record = record
        return record

    def _lock_the_record(self):
        """Lock the row before reading it, so the record written is the one checked, as it is now."""
        lookup = self.lookup_url_kwarg or self.lookup_field
        model = self.get_queryset().model
        list(
            model._base_manager.select_for_update()
            .filter(**{self.lookup_field: self.kwargs[lookup]})
            .values_list("pk", flat=True)
        )

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self.versioned_record = serializer.instance

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = self.versioned_record
        version = record.version if record is not None else self.record_version
        if version is not None and status.is_success(response.status_code) and request.method != "DELETE":
            if record is not None and request.method in WRITE_METHODS:
                # Its parts' writes (citations) advanced the version after the record was saved.
                version = type(record)._base_manager.filter(pk=record.pk).values_list("version", flat=True).first()
            # The version the write read, not the one that was current as the request began.
            response["ETag"] = etag_for(version, None if request.method in WRITE_METHODS else request)
        return response


class SavesOnlyNamedFields:
    """A ModelSerializer mixin: a partial update saves only the fields the request names."""

    def update(self, instance, validated_data):
        if not self.partial:
            return super().update(instance, validated_data)
        info = model_meta.get_field_info(instance)
        names = []
        for name, value in validated_data.items():
            if name in info.relations and info.relations[name].to_many:
                raise exceptions.ValidationError({name: ["This field cannot be changed by PATCH; use PUT."]})
            setattr(instance, name, value)
            names.append(name)
        if names:
            instance.save(update_fields=names)
        return instance
