"""Dates as the sources give them: the earliest and the latest day they allow, and how precise that is.

A dated record has four fields with one prefix (`date_`, `published_`, `started_`): `_earliest`,
`_latest`, `_precision` and `_text`, the source's own words. `interval_rule(prefix)` is the one
statement of what a well-formed interval is: the check constraint of every dated model, which
`full_clean()` evaluates too (so the admin, the API and the fixture build refuse what the
database refuses, with the same words), and `edtf()` writes it in ISO 8601-2.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import ExtractIsoYear, ExtractMonth, ExtractWeek, ExtractYear, Mod
from django.db.models.lookups import Exact, In


class DatePrecision(models.TextChoices):
    """How much of a date the sources vouch for, and so the shape of its interval."""

    DAY = "day", "Day: earliest and latest are the same day"
    WEEK = "week", "Week: a Monday to the Sunday after it"
    MONTH = "month", "Month: the 1st to the last day of the month"
    YEAR = "year", "Year: 1 January to 31 December"
    RANGE = "range", "Range: any span the sources allow, earliest before latest"


INTERVAL_MESSAGE = (
    "A date is an interval that fits its precision: a day has earliest = latest; a week runs Monday to Sunday; "
    "a month from its 1st to its last day; a year from 1 January to 31 December; a range has earliest before "
    "latest. An undated record has neither days nor a precision."
)


def _days_in_month(year, month):
    """The number of days in the month, as SQL both databases evaluate (a leap year counts 29 in February)."""
    leap = Exact(Mod(year, 4), 0) & (~Exact(Mod(year, 100), 0) | Exact(Mod(year, 400), 0))
    return Case(
        When(In(month, [1, 3, 5, 7, 8, 10, 12]), then=Value(31)),
        When(In(month, [4, 6, 9, 11]), then=Value(30)),
        When(leap, then=Value(29)),
        default=Value(28),
        output_field=IntegerField(),
    )


def interval_rule(prefix, required=False):
    """The condition a `<prefix>_earliest/_latest/_precision` interval meets, as a Q for a CheckConstraint."""
    earliest, latest, precision = f"{prefix}_earliest", f"{prefix}_latest", f"{prefix}_precision"
    start_year = ExtractYear(earliest)
    dated = Q(**{f"{earliest}__isnull": False, f"{latest}__isnull": False})
    shapes = (
        Q(**{precision: DatePrecision.DAY, latest: F(earliest)})
        | Q(
            **{
                precision: DatePrecision.WEEK,
                f"{earliest}__iso_week_day": 1,
                f"{latest}__iso_week_day": 7,
                f"{latest}__iso_year": ExtractIsoYear(earliest),
                f"{latest}__week": ExtractWeek(earliest),
            }
        )
        | Q(
            **{
                precision: DatePrecision.MONTH,
                f"{earliest}__day": 1,
                f"{latest}__year": start_year,
                f"{latest}__month": ExtractMonth(earliest),
                f"{latest}__day": _days_in_month(start_year, ExtractMonth(earliest)),
            }
        )
        | Q(
            **{
                precision: DatePrecision.YEAR,
                f"{earliest}__month": 1,
                f"{earliest}__day": 1,
                f"{latest}__year": start_year,
                f"{latest}__month": 12,
                f"{latest}__day": 31,
            }
        )
        | Q(**{precision: DatePrecision.RANGE, f"{latest}__gt": F(earliest)})
    )
    rule = dated & shapes
    if not required:
        rule |= Q(**{f"{earliest}__isnull": True, f"{latest}__isnull": True, precision: ""})
    return rule


def interval_constraint(model_name, prefix, required=False):
    return models.CheckConstraint(
        condition=interval_rule(prefix, required),
        name=f"kb_{model_name}_{prefix}_interval",
        violation_error_message=INTERVAL_MESSAGE,
    )


def check_interval(instance, prefix, required=False):
    """`interval_rule` evaluated for one record, as an error on its fields (a constraint names none)."""
    earliest, latest, precision = (
        getattr(instance, f"{prefix}_{part}") for part in ("earliest", "latest", "precision")
    )
    if earliest is None and latest is None and not precision and not required:
        return
    if earliest is None or latest is None or not precision:
        missing = [
            f"{prefix}_{part}"
            for part, value in zip(("earliest", "latest", "precision"), (earliest, latest, precision), strict=True)
            if not value
        ]
        raise ValidationError(
            {name: "Give the earliest day, the latest day and the precision together." for name in missing}
        )
    values = {f"{prefix}_earliest": earliest, f"{prefix}_latest": latest, f"{prefix}_precision": precision}
    if not interval_rule(prefix, required).check(values):
        raise ValidationError(
            {f"{prefix}_latest": f"{earliest} .. {latest} does not fit {precision} precision. {INTERVAL_MESSAGE}"}
        )


def edtf(earliest, latest, precision):
    """The interval in the Extended Date/Time Format (ISO 8601-2), or "" when undated."""
    if earliest is None:
        return ""
    if precision == DatePrecision.DAY:
        return earliest.isoformat()
    if precision == DatePrecision.MONTH:
        return earliest.isoformat()[:7]
    if precision == DatePrecision.YEAR:
        return earliest.isoformat()[:4]
    return f"{earliest.isoformat()}/{latest.isoformat()}"


def interval_for(precision, day):
    """The interval of `precision` that contains `day` (not for ranges, whose ends the sources give)."""
    if precision == DatePrecision.DAY:
        return day, day
    if precision == DatePrecision.WEEK:
        monday = day - datetime.timedelta(days=day.weekday())
        return monday, monday + datetime.timedelta(days=6)
    if precision == DatePrecision.MONTH:
        first = day.replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        return first, following - datetime.timedelta(days=1)
    if precision == DatePrecision.YEAR:
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    raise ValueError(f"A {precision} has no interval of its own.")
