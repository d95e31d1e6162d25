"""One convention for query parameters, on every endpoint.

- A multi-valued parameter (`stance`, `expand`, `ordering`, `facet`, ...) takes its values
  repeated (`stance=refuses&stance=withdraws`), comma-separated (`stance=refuses,withdraws`),
  or both.
- A single-valued parameter given twice is a 400 naming it: `limit=2&limit=5` is refused, not
  read as 5.

`normalize(query, multi_valued, joined)` rewrites the query once, before anything reads it, so
filters, pagination and views all see one form: each multi-valued parameter as a list of values,
except those whose filter reads one comma-separated string (django-filter's CSV filters, such as
`ordering`), which get the values joined by commas.
"""

from django.http import QueryDict
from django_filters import filters as django_filters

MULTIPLE_HELP = "Several values: repeat the parameter, or separate the values with commas."


def multi_valued_filters(filterset_class):
    """(names read as lists, names read as one comma-separated string) of a FilterSet's filters."""
    if filterset_class is None:
        return set(), set()
    listed, joined = set(), set()
    for name, filter_ in filterset_class.base_filters.items():
        if isinstance(filter_, django_filters.BaseCSVFilter):
            joined.add(name)
        elif isinstance(filter_, (django_filters.MultipleChoiceFilter, django_filters.ModelMultipleChoiceFilter)):
            listed.add(name)
    return listed, joined


def split_values(values):
    """Every value of a repeated parameter, each split on commas, blanks dropped, order kept."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def normalize(query, multi_valued=(), joined=()):
    """(the query in one form, {parameter: [message]} for single-valued parameters given twice)."""
    normalized = QueryDict(mutable=True)
    errors = {}
    for name, values in query.lists():
        if name in multi_valued:
            normalized.setlist(name, split_values(values))
        elif name in joined:
            normalized.setlist(name, [",".join(split_values(values))])
        elif len(values) > 1:
            shown = ", ".join(repr(value[:40]) for value in values[:5])
            errors[name] = [f"Give {name} once: it takes a single value, not several ({shown})."]
            normalized.setlist(name, values[-1:])
        else:
            normalized.setlist(name, values)
    normalized._mutable = False
    return normalized, errors
