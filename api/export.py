"""The whole knowledge base in one download: a Frictionless Data Package, or one JSON document.

`GET /api/v1/export/` lists the downloads with their URLs, sizes and the knowledge-base version
they hold. Each is built once per version (a write makes a new one), from one consistent read of
the database, and kept on disk under `KB_EXPORT_DIR`; serving it again is sending a file, and a
client that sends back its ETag gets a 304.

- `datapackage.zip`: `datapackage.json` and one CSV per table, for every knowledge-base record
  model (`kb.models.Record`; not the history tables, nor internal ones such as a version row),
  its fields typed, its primary key and foreign keys declared, all derived from the models'
  `_meta`, so a new field or table is exported without a change here. Derived columns
  (`search_text`) are left out.
- `kb.json`: every record of the six resources as the API writes it (a program with its facts, a
  source with its text), in one document.
"""

import csv
import datetime
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import orjson
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Max, Sum
from django.http import FileResponse
from django.utils.cache import get_conditional_response
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from kb.models import Record

EXPORT_CHUNK = 2000
NOT_EXPORTED = {"search_text"}  # derived from the rest: rebuilt from it on load
PACKAGE_NAME = "secure-communities-kb"


# ---------------------------------------------------------------- the knowledge base's version


def knowledge_base_version():
    """A string that changes with every write to the knowledge base.

    `kb.version.current()` where that exists (a number every write advances); until then, and before
    its first write, a digest of each record table's row count, largest id and summed record
    versions, and each history table's largest id: a write through the models adds a history row,
    a bulk insert or delete changes a count.
    """
    try:
        from kb.version import current
    except ImportError:
        current = None
    if current is not None:
        number = current()[0]
        if number:
            return str(number)
    parts = []
    for model in record_models():
        state = model._default_manager.aggregate(rows=Count("pk"), last=Max("pk"), versions=Sum("version"))
        history = getattr(model, "history", None)
        if history is not None:
            state["history"] = history.model.objects.aggregate(last=Max("history_id"))["last"]
        parts.append(f"{model._meta.label}:{state['rows']}:{state['last']}:{state['versions']}:{state.get('history')}")
    return "h" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- the tables


def record_models():
    """Every knowledge-base record model, parents before the models that refer to them."""
    found = [model for model in apps.get_app_config("kb").get_models() if issubclass(model, Record)]
    ordered, placed = [], set()
    while found:
        for model in found:
            parents = {
                field.related_model
                for field in model._meta.concrete_fields
                if field.is_relation and field.related_model is not model and field.related_model in found
            }
            if parents <= placed:
                ordered.append(model)
                placed.add(model)
                found.remove(model)
                break
        else:  # a cycle between tables: keep the rest in the registry's order
            ordered.extend(found)
            break
    return ordered


def exported_fields(model):
    return [field for field in model._meta.concrete_fields if field.name not in NOT_EXPORTED]


def table_name(model):
    return str(model._meta.verbose_name_plural).replace(" ", "-").lower()


def _field_type(field):
    """The Table Schema type of a model field (a foreign key: its target's key type)."""
    if field.is_relation:
        return _field_type(field.target_field)
    if isinstance(field, (models.AutoField, models.IntegerField)):
        return "integer"
    if isinstance(field, models.DecimalField | models.FloatField):
        return "number"
    if isinstance(field, models.BooleanField):
        return "boolean"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.JSONField):
        default = field.default() if callable(field.default) else field.default
        return "array" if isinstance(default, list) else "object" if isinstance(default, dict) else "any"
    return "string"


def _field_descriptor(field):
    descriptor = {"name": field.attname, "type": _field_type(field), "title": str(field.verbose_name)}
    if field.help_text:
        descriptor["description"] = str(field.help_text)
    constraints = {}
    if not field.null and not field.blank:
        constraints["required"] = True
    if field.unique and not field.primary_key:
        constraints["unique"] = True
    if field.choices and not field.is_relation:
        constraints["enum"] = [value for value, _ in field.choices]
    if isinstance(field, models.CharField) and field.max_length:
        constraints["maxLength"] = field.max_length
    if constraints:
        descriptor["constraints"] = constraints
    if descriptor["type"] == "boolean":
        descriptor.update(trueValues=["true"], falseValues=["false"])
    return descriptor


def table_schema(model):
    """The resource descriptor of one table: fields, primary key, foreign keys."""
    fields = exported_fields(model)
    foreign_keys = [
        {
            "fields": field.attname,
            "reference": {
                "resource": "" if field.related_model is model else table_name(field.related_model),
                "fields": field.target_field.attname,
            },
        }
        for field in fields
        if field.is_relation
    ]
    schema = {
        "fields": [_field_descriptor(field) for field in fields],
        "primaryKey": [model._meta.pk.attname],
        "missingValues": [""],
    }
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    name = table_name(model)
    resource = {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "title": str(model._meta.verbose_name_plural).capitalize(),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }
    own_doc = model.__dict__.get("__doc__")
    if own_doc and not own_doc.startswith(f"{model.__name__}("):  # Django's generated signature is no description
        resource["description"] = " ".join(own_doc.split())
    return resource


def cell(value):
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table_rows(model):
    """Every row of the table in primary-key order, read in keyset chunks."""
    names = [field.attname for field in exported_fields(model)]
    pk = model._meta.pk.attname
    last = None
    while True:
        chunk = model._default_manager.order_by(pk)
        if last is not None:
            chunk = chunk.filter(**{f"{pk}__gt": last})
        rows = list(chunk.values_list(*names)[:EXPORT_CHUNK])
        yield from rows
        if len(rows) < EXPORT_CHUNK:
            return
        last = rows[-1][names.index(pk)]


def descriptor(version):
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Secure Communities knowledge base",
        "description": (
            "Who stood where on the Secure Communities program, and when, each fact cited to a verbatim quote "
            "at known offsets in a source document (citations.csv: text[start:end] == quote)."
        ),
        "kb_version": version,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "resources": [table_schema(model) for model in record_models()],
    }


def write_package(path, version):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for model in record_models():
            with package.open(f"{table_name(model)}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer = csv.writer(text)
                writer.writerow([field.attname for field in exported_fields(model)])
                for row in table_rows(model):
                    writer.writerow([cell(value) for value in row])
                text.flush()
                text.detach()
        package.writestr("datapackage.json", json.dumps(descriptor(version), indent=2, ensure_ascii=False))


# ---------------------------------------------------------------- the JSON document


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def write_document(path, version, request):
    """Every record of the API's resources, as each one's detail answers, in one JSON document."""
    from api.urls import router

    with open(path, "wb") as document:
        head = {"kb_version": version, "created": descriptor(version)["created"]}
        document.write(orjson.dumps(head)[:-1] + b',"resources":{')
        for index, (prefix, viewset, basename) in enumerate(_document_resources(router)):
            document.write((b"," if index else b"") + orjson.dumps(prefix) + b":[")
            first = True
            for records in _records_of(viewset, basename, request):
                for record in records:
                    document.write((b"" if first else b",") + orjson.dumps(record, default=_json_default))
                    first = False
            document.write(b"]")
        document.write(b"}}")


def _document_resources(router):
    """The resources whose records make up the knowledge base; citations and facts are inside them."""
    from api.views import KnowledgeBaseViewSet

    return [
        (prefix, viewset, basename)
        for prefix, viewset, basename in router.registry
        if issubclass(viewset, KnowledgeBaseViewSet)
    ]


def _records_of(viewset_class, basename, request):
    """A resource's records as its detail writes them (api.writers), in chunks, in primary-key order."""
    from api.writers import WRITERS, Context, Urls

    writer = WRITERS[viewset_class.kind]
    context = Context(Urls(request))
    queryset = writer.model.objects.order_by("pk")
    last = None
    while True:
        chunk = queryset if last is None else queryset.filter(pk__gt=last)
        pks = list(chunk.values_list("pk", flat=True)[:EXPORT_CHUNK])
        if not pks:
            return
        yield writer.write(writer.rows(queryset.filter(pk__in=pks), detail=True), context, detail=True)
        if len(pks) < EXPORT_CHUNK:
            return
        last = pks[-1]


# ---------------------------------------------------------------- building once per version

DOWNLOADS = {
    "datapackage": {
        "file": "datapackage.zip",
        "media_type": "application/zip",
        "title": "The whole knowledge base as a Frictionless Data Package: datapackage.json and one CSV per table.",
    },
    "json": {
        "file": "kb.json",
        "media_type": "application/json",
        "title": "The whole knowledge base as one JSON document: every record as the API writes it.",
    },
}


def export_dir():
    return Path(getattr(settings, "KB_EXPORT_DIR", None) or Path(tempfile.gettempdir()) / "kb-export")


def _base_url(request):
    return reverse("api-root", request=request) if request is not None else ""


def built(name, request):
    """(path, version) of the download `name`, built now unless this version's is on disk already.

    One consistent read: on PostgreSQL a repeatable-read transaction, on SQLite one read
    transaction, so the export is the knowledge base as of the version it names."""
    outermost = not connection.in_atomic_block  # inside a caller's transaction, its snapshot is the one
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        version = knowledge_base_version()
        # The JSON document carries URLs: one per version and address the API is reached by.
        key = (
            version
            if name == "datapackage"
            else f"{version}-{hashlib.sha256(_base_url(request).encode()).hexdigest()[:8]}"
        )
        directory = export_dir() / key
        path = directory / DOWNLOADS[name]["file"]
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=directory, prefix=".partial-")
            os.close(handle)
            try:
                if name == "datapackage":
                    write_package(partial, version)
                else:
                    write_document(partial, version, request)
                os.replace(partial, path)  # whole or not at all
            finally:
                if os.path.exists(partial):
                    os.remove(partial)
            _remove_other_versions(version)
    return path, version


def _remove_other_versions(version):
    for directory in export_dir().iterdir():
        if directory.is_dir() and directory.name.split("-")[0] != version.split("-")[0]:
            shutil.rmtree(directory, ignore_errors=True)


# ---------------------------------------------------------------- the views


class DownloadSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=[(name, name) for name in DOWNLOADS], help_text="Which download.")
    title = serializers.CharField(help_text="What it holds.")
    url = serializers.URLField(help_text="Where to download it.")
    media_type = serializers.CharField(help_text="Its content type.")
    bytes = serializers.IntegerField(help_text="Its size.")
    kb_version = serializers.CharField(help_text="The knowledge-base version it holds.")


class ExportListSerializer(serializers.Serializer):
    kb_version = serializers.CharField(help_text="The knowledge base's version now: every write changes it.")
    downloads = DownloadSerializer(many=True)


class ExportView(APIView):
    """The downloads of the whole knowledge base."""

    permission_classes = [permissions.AllowAny]  # read-only: anyone may read
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        operation_id="export_list",
        summary="Downloads of the whole knowledge base",
        description=(
            "A Frictionless Data Package (zipped CSV tables with their schema) and one JSON document, each with "
            "its URL, size and the knowledge-base version it holds. Built at the first request after a write, "
            "then served as files."
        ),
        responses=ExportListSerializer,
    )
    def get(self, request):
        downloads = []
        version = None
        for name, download in DOWNLOADS.items():
            path, version = built(name, request)
            downloads.append(
                {
                    "name": name,
                    "title": download["title"],
                    "url": reverse("export-download", kwargs={"file_name": download["file"]}, request=request),
                    "media_type": download["media_type"],
                    "bytes": path.stat().st_size,
                    "kb_version": version,
                }
            )
        return Response({"kb_version": version, "downloads": downloads})


class ExportDownloadView(APIView):
    """One download."""

    permission_classes = [permissions.AllowAny]  # read-only: anyone may read
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        operation_id="export_download",
        summary="Download the whole knowledge base",
        description="`datapackage.zip` or `kb.json`. Its ETag is the knowledge-base version: send it back "
        "(If-None-Match) for a 304 while nothing has changed.",
        parameters=[
            OpenApiParameter(
                "file_name",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=[download["file"] for download in DOWNLOADS.values()],
                description="Which download: `datapackage.zip` or `kb.json`.",
            )
        ],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, (200, "application/json"): OpenApiTypes.OBJECT},
    )
    def get(self, request, file_name):
        name = next(name for name, download in DOWNLOADS.items() if download["file"] == file_name)
        # The API's 304s (config.http_cache) know only its "kb<K>" tags: this one is the export's own.
        tag = f'"{knowledge_base_version()}"'
        not_modified = get_conditional_response(request, etag=tag)
        if not_modified is not None:
            not_modified["ETag"] = tag
            return not_modified
        path, version = built(name, request)
        stem, suffix = file_name.rsplit(".", 1)
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"{PACKAGE_NAME}-{version}.{suffix}"
            if stem == "datapackage"
            else f"{PACKAGE_NAME}-{version}.json",
            content_type=DOWNLOADS[name]["media_type"],
        )
        response["ETag"] = f'"{version}"'
        return response
