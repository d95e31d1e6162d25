"""What changed, and since when: the change feed and `updated_since`, both read from the history
that simple_history keeps of every knowledge-base record (kb.models.base.KnowledgeBaseHistory).

The feed, `GET /api/v1/changes/`, lists every create, update and delete (a deletion is a
tombstone), oldest first, paged by cursor. A cursor holds, for each kind of record, the last
history id the client has seen: each history table's ids only grow, so a client that stores the
`next` link and follows it later gets every change made since, once. A page is a merge of the
tables' next rows by time, taking from each table a prefix in id order, so the cursor never
skips a row it did not hand out.

On PostgreSQL, ids are handed out when a row is inserted, and a transaction that inserted a
lower id can commit after one that inserted a higher id: a feed read between the two commits
would move past the lower id before it is visible. So every history insert first takes a shared
advisory lock (held until its transaction ends), and the feed reads under the exclusive one: it
waits for the writes in progress to commit, and none starts while it reads. SQLite has one
writer at a time, so ids are visible in order already.
"""

import base64
import binascii
import heapq
import json
import re
import threading

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.signals import request_finished
from django.db import OperationalError, connection, connections, models, transaction
from django.db.models import Max, Min, OuterRef, Q, Subquery
from django.dispatch import receiver
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from api import params
from api.filters import MomentField
from kb.models.base import has_field

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# One advisory lock key for the feed's barrier (any 64-bit number no other code uses).
FEED_LOCK = 7_311_511_061_024_111
FEED_LOCK_TIMEOUT = "10s"
BUSY_RETRY_SECONDS = 5
# Bookkeeping that is not the record's content; values too long to repeat in a change.
NOT_CONTENT = {"version", "search_text"}
NAMES_ONLY = {"text"}
ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}
DETAIL_VIEWS = {
    "program": "program-detail",
    "jurisdiction": "jurisdiction-detail",
    "organization": "organization-detail",
    "official": "official-detail",
    "position": "position-detail",
    "source": "source-detail",
    "program_fact": "fact-detail",
    "citation": "citation-detail",
}


def kind_of(model):
    """ProgramFact -> program_fact: the kind of record, as the API names it."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def recorded_models():
    """{kind: model} of every knowledge-base model whose history is kept, in a fixed order."""
    return {
        kind_of(model): model
        for model in apps.get_app_config("kb").get_models()
        if hasattr(model, "history") and not hasattr(model, "instance_type")
    }


def content_fields(model):
    """The record's own fields in its history: not the history's bookkeeping, not the primary key."""
    history = model.history.model
    return [
        field
        for field in history._meta.concrete_fields
        if not field.name.startswith("history_") and field.name not in NOT_CONTENT and field.name != "id"
    ]


# ---------------------------------------------------------------- updated_since


def owned_children(model):
    """(child model, its foreign key to `model`) for the records that are part of `model`'s: those
    deleted with it (a position's citations, an official's other names, a program's facts)."""
    children = []
    for child in recorded_models().values():
        for field in child._meta.concrete_fields:
            if (
                field.is_relation
                and field.related_model is model
                and getattr(field.remote_field, "on_delete", None) is models.CASCADE
            ):
                children.append((child, field))
    return children


def _changed_rows(model, moment, seen=()):
    """Rows of `model`'s history that say a record changed since `moment`, itself or a part of it."""
    condition = Q(history_date__gte=moment)
    for child, field in owned_children(model):
        if child in seen:
            continue
        child_rows = _changed_rows(child, moment, (*seen, model))
        condition |= Q(id__in=child_rows.filter(**{f"{field.attname}__isnull": False}).values(field.attname))
    return model.history.model.objects.filter(condition)


def changed_since(queryset, moment):
    """The records of `queryset` created or changed at or after `moment`, counting their parts."""
    return queryset.filter(pk__in=_changed_rows(queryset.model, moment).values("id"))


# ---------------------------------------------------------------- the feed's barrier (PostgreSQL)

_held = threading.local()


@receiver(pre_create_historical_record)
def _before_a_history_row(sender, using=None, **kwargs):
    target = connections[using or "default"]
    if target.vendor != "postgresql":
        return
    with target.cursor() as cursor:
        if target.in_atomic_block:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [FEED_LOCK])
        else:
            # Autocommit: the row is its own transaction; hold the lock across its insert.
            cursor.execute("SELECT pg_advisory_lock_shared(%s)", [FEED_LOCK])
            _held.connections = {*getattr(_held, "connections", set()), target.alias}


@receiver(post_create_historical_record)
def _after_a_history_row(sender, using=None, **kwargs):
    _release_session_locks()


@receiver(request_finished)
def _at_the_end_of_a_request(sender, **kwargs):
    _release_session_locks()  # a history insert that failed left its lock held


def _release_session_locks():
    for alias in getattr(_held, "connections", set()):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [FEED_LOCK])
    _held.connections = set()


class Busy(exceptions.APIException):
    status_code = 503
    default_code = "busy"
    retry_after = BUSY_RETRY_SECONDS
    default_detail = f"Changes are being written (a load, perhaps): try again in {BUSY_RETRY_SECONDS} seconds."


def _read_after_writes_in_progress(read):
    """`read()` when no history row is being written, on PostgreSQL; as it is elsewhere."""
    if connection.vendor != "postgresql":
        return read()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{FEED_LOCK_TIMEOUT}'")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
            return read()
    except OperationalError as error:
        if getattr(getattr(error, "__cause__", None), "sqlstate", None) == "55P03":  # lock_not_available
            raise Busy() from None
        raise


# ---------------------------------------------------------------- cursors


def encode_cursor(positions):
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor, kinds):
    try:
        positions = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(positions, dict) or not all(
            kind in kinds and isinstance(last, int) and not isinstance(last, bool) and 0 <= last < 2**62
            for kind, last in positions.items()
        ):
            raise ValueError
        return positions
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise exceptions.ValidationError(
            {"cursor": ["Not a cursor of the change feed: use the `next` link as given."]}
        ) from None


# ---------------------------------------------------------------- one page


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    return value


class _Slugs:
    """Slugs of related records by id, read in one query per kind (two when some are deleted)."""

    def __init__(self):
        self.wanted = {}
        self.found = {}

    def want(self, model, pk):
        if pk is not None and has_field(model, "slug"):
            self.wanted.setdefault(model, set()).add(pk)

    def read(self):
        for model, pks in self.wanted.items():
            found = self.found.setdefault(model, {})
            found.update(model._default_manager.filter(pk__in=pks).values_list("pk", "slug"))
            missing = pks - set(found)
            if missing:  # deleted since: the slug it last had
                for pk, slug in (
                    model.history.model.objects.filter(id__in=missing).order_by("history_id").values_list("id", "slug")
                ):
                    found[pk] = slug

    def of(self, model, pk):
        return self.found.get(model, {}).get(pk, pk)


def read_page(positions, kinds, limit):
    """(changes, the positions after them, whether more are waiting) from `positions` on."""
    models_by_kind = recorded_models()
    streams = []
    for order, kind in enumerate(kinds):
        history = models_by_kind[kind].history.model
        previous = (
            history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        rows = list(
            history.objects.filter(history_id__gt=positions.get(kind, 0))
            .annotate(previous_history_id=Subquery(previous))
            .order_by("history_id")[: limit + 1]
        )
        streams.append([(row.history_date, order, row.history_id, kind, row) for row in rows])
    merged = list(heapq.merge(*streams, key=lambda entry: entry[:3]))
    more = len(merged) > limit
    chosen = merged[:limit]
    after = dict(positions)
    for _, _, history_id, kind, _ in chosen:
        after[kind] = max(after.get(kind, 0), history_id)
    return [(kind, row) for *_, kind, row in chosen], after, more


def describe(chosen, request, show_users):
    """The JSON of each chosen history row: kind, record, action, time, what changed, who."""
    models_by_kind = recorded_models()
    previous_rows = {}
    by_kind = {}
    for kind, row in chosen:
        if row.history_type == "~" and row.previous_history_id is not None:
            by_kind.setdefault(kind, []).append(row.previous_history_id)
    for kind, history_ids in by_kind.items():
        history = models_by_kind[kind].history.model
        previous_rows.update(
            {(kind, row.history_id): row for row in history.objects.filter(history_id__in=history_ids)}
        )
    slugs = _Slugs()
    users = set()
    for kind, row in chosen:
        for field in content_fields(models_by_kind[kind]):
            if field.is_relation:
                slugs.want(field.related_model, getattr(row, field.attname))
                previous = previous_rows.get((kind, row.previous_history_id))
                if previous is not None:
                    slugs.want(field.related_model, getattr(previous, field.attname))
        users.add(row.history_user_id)
    slugs.read()
    usernames = (
        dict(get_user_model().objects.filter(pk__in=users - {None}).values_list("pk", "username")) if show_users else {}
    )
    changes = []
    for kind, row in chosen:
        model = models_by_kind[kind]
        previous = previous_rows.get((kind, row.previous_history_id))
        changes.append(_change(kind, model, row, previous, slugs, request))
        if show_users:
            changes[-1]["user"] = usernames.get(row.history_user_id)
    return changes


def _value(field, row, slugs):
    value = getattr(row, field.attname)
    if field.is_relation:
        return slugs.of(field.related_model, value)
    return _plain(value)


def _change(kind, model, row, previous, slugs, request):
    action = ACTIONS[row.history_type]
    fields = content_fields(model)
    changed, values = [], {}
    if action != "deleted":
        for field in fields:
            new = _value(field, row, slugs)
            old = _value(field, previous, slugs) if previous is not None else None
            if action == "updated" and previous is not None and old == new:
                continue
            changed.append(field.name)
            if field.name not in NAMES_ONLY:
                values[field.name] = {"old": old, "new": new}
    slug = getattr(row, "slug", None)
    view_name = DETAIL_VIEWS.get(kind)
    url = None
    if view_name and action != "deleted":
        key = {"slug": slug} if slug is not None else {"id": row.id}
        url = reverse(view_name, kwargs=key, request=request)
    return {
        "kind": kind,
        "id": row.id,
        "slug": slug,
        "action": action,
        "time": _plain(row.history_date),
        "changed": changed,
        "values": values,
        "url": url,
    }


# ---------------------------------------------------------------- the view


class ValueChangeSerializer(serializers.Serializer):
    old = serializers.JSONField(allow_null=True, help_text="Before the change (null when created).")
    new = serializers.JSONField(allow_null=True, help_text="After it.")


class ChangeSerializer(serializers.Serializer):
    """One create, update or delete of a knowledge-base record."""

    kind = serializers.ChoiceField(
        choices=[(kind, kind) for kind in recorded_models()], help_text="The kind of record."
    )
    id = serializers.IntegerField(help_text="The record's database id (kinds without a slug are known by it).")
    slug = serializers.CharField(allow_null=True, help_text="The record's slug; null for kinds without one.")
    action = serializers.ChoiceField(
        choices=[("created", "created"), ("updated", "updated"), ("deleted", "deleted")],
        help_text="`deleted` is a tombstone: the record is gone.",
    )
    time = serializers.DateTimeField(help_text="When the change was made.")
    changed = serializers.ListField(
        child=serializers.CharField(),
        help_text="The fields it changed (every field, for a creation; none for a deletion).",
    )
    values = serializers.DictField(
        child=ValueChangeSerializer(),
        help_text="Old and new value of each changed field (related records by slug), except a source's long text.",
    )
    url = serializers.URLField(allow_null=True, help_text="The record in the API; null once deleted.")
    user = serializers.CharField(
        required=False, allow_null=True, help_text="Staff only: who made the change (null for a load)."
    )


class ChangePageSerializer(serializers.Serializer):
    next = serializers.URLField(
        help_text="Where to continue: store it and follow it now (when `has_more`) or later, for what changes next."
    )
    has_more = serializers.BooleanField(help_text="Whether more changes are waiting now.")
    results = ChangeSerializer(many=True)


class ChangesView(APIView):
    """The change feed."""

    permission_classes = [permissions.AllowAny]  # read-only: anyone may read
    http_method_names = ["get", "head", "options"]

    query_parameters = {"cursor", "limit", "kind", "since", "format"}

    @extend_schema(
        summary="Changes to the knowledge base",
        description=(
            "Every create, update and delete of a record, oldest first; a deletion is a tombstone. Follow `next` "
            "until `has_more` is false, store the last `next`, and follow it later for what changed since: each "
            "change comes once. `since` starts at a moment instead of the beginning. Staff also see who made each "
            "change."
        ),
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="Where to continue: from a `next` link."),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"Changes per page: default {DEFAULT_LIMIT}, maximum {MAX_LIMIT}.",
            ),
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                many=True,
                enum=list(recorded_models()),
                description=f"Only changes to these kinds of record. {params.MULTIPLE_HELP}",
            ),
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description="Start with the changes made at or after this moment (ISO 8601); not with `cursor`.",
            ),
        ],
        responses=ChangePageSerializer,
        examples=[],
    )
    def get(self, request):
        kinds_offered = list(recorded_models())
        query, errors = params.normalize(request.query_params, {"kind"})
        for name in sorted(set(query) - self.query_parameters):
            errors[name] = [f"Unknown query parameter. Accepted here: {', '.join(sorted(self.query_parameters))}."]
        kinds = params.split_values(query.getlist("kind")) or kinds_offered
        unknown = [kind for kind in kinds if kind not in kinds_offered]
        if unknown:
            errors["kind"] = [f"No kind {', '.join(unknown)}; accepted: {', '.join(kinds_offered)}."]
        limit = self._limit(query, errors)
        cursor, since = query.get("cursor"), query.get("since")
        if cursor is not None and since is not None:
            errors["since"] = ["Give either since or cursor, not both: a cursor already says where to start."]
        moment = None
        if since is not None and "since" not in errors:
            try:
                moment = MomentField().clean(since)
            except Exception as error:  # forms.ValidationError
                errors["since"] = list(getattr(error, "messages", [str(error)]))
        positions = {}
        if cursor is not None:
            try:
                positions = decode_cursor(cursor, kinds_offered)
            except exceptions.ValidationError as error:
                errors.update(error.detail)
        if errors:
            raise exceptions.ValidationError(errors)
        kinds = [kind for kind in kinds_offered if kind in kinds]

        def read():
            start = positions if moment is None else _positions_before(moment, kinds_offered)
            chosen, after, more = read_page(start, kinds, limit)
            return describe(chosen, request, show_users=request.user.is_staff), after, more

        changes, after, more = _read_after_writes_in_progress(read)
        url = remove_query_param(request.build_absolute_uri(), "since")
        url = replace_query_param(url, "cursor", encode_cursor(after))
        return Response({"next": url, "has_more": more, "results": changes})

    @staticmethod
    def _limit(query, errors):
        raw = query.get("limit")
        if raw is None or raw == "":
            return DEFAULT_LIMIT
        if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
            errors["limit"] = [f"Must be a whole number between 1 and {MAX_LIMIT}, not {raw[:40]!r}."]
            return DEFAULT_LIMIT
        return int(raw)


def _positions_before(moment, kinds):
    """The cursor positions just before `moment`: before each table's first row dated at or after it
    (past its last row when it has none)."""
    models_by_kind = recorded_models()
    positions = {}
    for kind in kinds:
        history = models_by_kind[kind].history.model.objects
        first = history.filter(history_date__gte=moment).aggregate(first=Min("history_id"))["first"]
        positions[kind] = first - 1 if first is not None else history.aggregate(last=Max("history_id"))["last"] or 0
    return positions
