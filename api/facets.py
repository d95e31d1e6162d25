"""Facets: `?facet=stance,program` adds to a list's answer how many of its results have each value.

    "facets": {"stance": {"exact": true, "values": [{"slug": "refuses", "name": "Refuses", "count": 4}, ...]}}

A facet counts the filtered results (every filter, search and `as_of` applies; paging does not),
by the value of one field or related record: each value's `slug` and `name` (a related record's
slug and name; a choice's value and label; a year), and `null` for results without one.

The cost is bounded as the list's `count` is (config/counting.py): each facet is one grouped
query over at most `EXACT_COUNT_LIMIT` + 1 of the results (and one more for the names of related
records that have no `name` field, such as sources, named as the API names them). Up to that many results the counts
are exact (`"exact": true`); past it they are counted over that many results, so each is a
lower bound (`"exact": false`) and the answer's cost does not grow with the table.

A list's facets are derived from its filters (each choice filter and each filter by a related
record's slug on a field of the model) plus the view's `extra_facets`, paths such as
`citations__source` (positions by the sources that cite them) or `date__year`.
"""

from dataclasses import dataclass

from django.db.models import Count
from django_filters import filters as django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from api.params import MULTIPLE_HELP, split_values
from config.counting import EXACT_COUNT_LIMIT
from kb.models.base import has_field

PARAMETER = "facet"
YEAR = "__year"


@dataclass(frozen=True)
class Facet:
    """Counts by the value at `path` (a field, a related record, or `<date field>__year`)."""

    name: str
    path: str

    def target(self, model):
        """(related model or None, the field at the end of the path)."""
        path = self.path.removesuffix(YEAR)
        field = None
        for part in path.split("__"):
            field = model._meta.get_field(part)
            if field.is_relation:
                model = field.related_model
        return (model if field.is_relation else None), field

    def keys(self, model):
        related, field = self.target(model)
        if related is None:
            return [self.path]
        if has_field(related, "name"):
            return [f"{self.path}__slug", f"{self.path}__name"]
        return [f"{self.path}__slug"]  # named as the record names itself (str()): read after

    def values(self, model, rows, key_names):
        related, field = self.target(model)
        choices = dict(field.choices or ()) if related is None else {}
        rows = list(rows)
        names = {}
        if related is not None and len(key_names) == 1:
            slugs = [row[key_names[0]] for row in rows if row[key_names[0]] is not None]
            names = {record.slug: str(record) for record in related._default_manager.filter(slug__in=slugs)}
        values = []
        for row in rows:
            if related is not None:
                slug = row[key_names[0]]
                name = row[key_names[1]] if len(key_names) > 1 else names.get(slug)
            else:
                raw = row[key_names[0]]
                slug = None if raw in (None, "") else str(raw)
                name = None if slug is None else str(choices.get(raw, raw))
            values.append({"slug": slug, "name": name, "count": row["count"]})
        values.sort(key=lambda value: (-value["count"], value["slug"] is None, value["slug"] or ""))
        return values


def facets_of(view):
    """{name: Facet} a list offers: from its filters, then the view's `extra_facets`."""
    return offered_by(getattr(view, "filterset_class", None), getattr(view, "extra_facets", {}))


def offered_by(filterset_class, extra_facets):
    facets = {}
    if filterset_class is not None:
        model = filterset_class._meta.model
        for name, filter_ in filterset_class.base_filters.items():
            if not isinstance(
                filter_,
                (django_filters.ChoiceFilter, django_filters.MultipleChoiceFilter, django_filters.ModelChoiceFilter),
            ):
                continue
            if isinstance(filter_, django_filters.OrderingFilter) or not has_field(model, filter_.field_name):
                continue
            field = model._meta.get_field(filter_.field_name)
            if field.is_relation and not has_field(field.related_model, "slug"):
                continue
            if not field.is_relation and not field.choices:
                continue
            facets[name] = Facet(name, filter_.field_name)
    for name, path in extra_facets.items():
        facets[name] = Facet(name, path)
    return facets


def requested(view):
    return split_values(view.request.query_params.getlist(PARAMETER))


def validate(view):
    """Errors of `?facet=`: unknown names."""
    names = requested(view)
    if not names:
        return {}
    offered = facets_of(view)
    unknown = [name for name in names if name not in offered]
    if unknown:
        accepted = ", ".join(offered) or "nothing on this list"
        return {PARAMETER: [f"No facet {', '.join(unknown)}; accepted: {accepted}."]}
    return {}


def count(view, queryset, total):
    """{facet: {"exact", "values"}} of the requested facets over `queryset`, whose count is `total`."""
    names = list(dict.fromkeys(requested(view)))
    if not names:
        return None
    offered = facets_of(view)
    model = queryset.model
    # The results counted: all of them up to the bound, as many as the bound past it.
    sample = queryset.order_by().values("pk")[: EXACT_COUNT_LIMIT + 1]
    exact = total <= EXACT_COUNT_LIMIT
    counted = {}
    for name in names:
        facet = offered[name]
        keys = facet.keys(model)
        rows = (
            model._default_manager.filter(pk__in=sample)
            .values(*keys)
            .annotate(count=Count("pk", distinct=True))
            .order_by()
        )
        counted[name] = {"exact": exact, "values": facet.values(model, rows, keys)}
    return counted


def parameter(filterset_class, extra_facets):
    """The `facet` query parameter of a list, with the names it offers."""
    offered = list(offered_by(filterset_class, extra_facets))
    return OpenApiParameter(
        PARAMETER,
        OpenApiTypes.STR,
        many=True,
        enum=offered,
        description=(
            "Add to the answer, under `facets`, how many of the filtered results have each value of these "
            f"fields, each value with its slug and name. Exact up to {EXACT_COUNT_LIMIT:,} results; past that, "
            f"counted over {EXACT_COUNT_LIMIT + 1:,} of them (`exact: false`, each count a lower bound). "
            f"{MULTIPLE_HELP}"
        ),
    )
