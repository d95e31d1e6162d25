"""Dates as the sources give them, and the rule that a date fits its precision."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class DatePrecision(models.TextChoices):
    """How much of a date the sources vouch for; `date` is the first day of that period."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


PRECISION_MESSAGE = (
    "A date of month precision must be the 1st of its month, and one of year precision the 1st of January; "
    "an empty date has no precision."
)


def check_date_precision(instance, field, precision_field):
    """The precision rule as a form error on the date field (the constraint alone names no field)."""
    day, precision = getattr(instance, field), getattr(instance, precision_field)
    if day is None:
        if precision:
            raise ValidationError({precision_field: "An empty date has no precision."})
        return
    if (precision == DatePrecision.MONTH and day.day != 1) or (
        precision == DatePrecision.YEAR and (day.month, day.day) != (1, 1)
    ):
        raise ValidationError({field: f"{day} does not fit {precision} precision: {PRECISION_MESSAGE}"})


def date_matches_precision(field, precision_field):
    """A month-precise date is the 1st of its month, a year-precise one the 1st of January."""
    return (
        Q(**{f"{field}__isnull": True}, **{f"{precision_field}": ""})
        | Q(**{f"{field}__isnull": False, precision_field: DatePrecision.DAY})
        | Q(**{f"{field}__isnull": False, f"{field}__day": 1, precision_field: DatePrecision.MONTH})
        | Q(
            **{f"{field}__isnull": False, f"{field}__day": 1, f"{field}__month": 1, precision_field: DatePrecision.YEAR}
        )
    )
