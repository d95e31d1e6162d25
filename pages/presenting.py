"""Words for what the writers write: stances, kinds of holder, and dates as intervals.

The writers give codes (`refuses`, `week`, `2011-05-30`); a page says "Refuses", "the week of
30 May 2011". Everything here reads the models' own vocabularies, so a new stance or kind is
named where it is declared.
"""

import datetime
from dataclasses import dataclass

from kb.models import DatePrecision, JurisdictionKind, OrganizationKind, Stance

# Pro-program stances in blues, against it in oranges and purple, dark to light by how firm:
# readable by the common colour-vision deficiencies, and every mark has a dark outline (contrast).
STANCE_ORDER = [
    Stance.PARTICIPATES,
    Stance.SUPPORTS,
    Stance.WILL_JOIN,
    Stance.CONSIDERING_WITHDRAWAL,
    Stance.OPPOSES,
    Stance.REFUSES,
    Stance.WITHDRAWS,
]

KIND_GROUPS = {
    JurisdictionKind.COUNTRY: "Countries",
    JurisdictionKind.STATE: "States",
    JurisdictionKind.CITY: "Cities",
    OrganizationKind.GOVERNMENT_AGENCY: "Government agencies",
    OrganizationKind.EXECUTIVE_OFFICE: "Executive offices",
    OrganizationKind.POLICE_DEPARTMENT: "Police departments",
    OrganizationKind.ADVOCACY_GROUP: "Advocacy groups",
    OrganizationKind.POLITICAL_GROUP: "Political groups",
    OrganizationKind.INFORMAL_GROUP: "Informal groups (unnamed in the sources)",
}
OFFICIALS_GROUP = "Officials (their own stances)"

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def short_label(choices, value):
    """The choice's name without its explanation: "Refuses", not "Refuses: declines to sign on ..."."""
    try:
        return choices(value).label.split(":")[0]
    except ValueError:
        return str(value)


def explanation(choices, value):
    """The choice's explanation, after its name."""
    try:
        label = choices(value).label
    except ValueError:
        return ""
    return label.split(":", 1)[1].strip() if ":" in label else ""


def stance_label(stance):
    return short_label(Stance, stance)


def stances():
    """Every stance, in the legend's order: (code, name, explanation)."""
    ordered = STANCE_ORDER + [stance for stance in Stance if stance not in STANCE_ORDER]
    return [(stance.value, short_label(Stance, stance), explanation(Stance, stance)) for stance in ordered]


def parse_day(value):
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def day_words(day, year=True):
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


@dataclass(frozen=True)
class Interval:
    """A dated record's interval, as a page says it, with `<time>` values where HTML has one."""

    earliest: datetime.date | None
    latest: datetime.date | None
    precision: str
    text: str = ""

    @classmethod
    def of(cls, record, prefix="date"):
        return cls(
            parse_day(record.get(f"{prefix}_earliest")),
            parse_day(record.get(f"{prefix}_latest")),
            record.get(f"{prefix}_precision") or "",
            record.get(f"{prefix}_text") or "",
        )

    @property
    def dated(self):
        return self.earliest is not None

    @property
    def days(self):
        return (self.latest - self.earliest).days + 1 if self.dated else 0

    @property
    def is_point(self):
        return self.precision == DatePrecision.DAY

    def words(self):
        """ "3 June 2011", "the week of 30 May 2011", "December 2010", "2006", "1–10 May 2011"."""
        if not self.dated:
            return "undated"
        first, last = self.earliest, self.latest
        if self.precision == DatePrecision.DAY:
            return day_words(first)
        if self.precision == DatePrecision.WEEK:
            return f"the week of {day_words(first, year=first.year != last.year)} to {day_words(last)}"
        if self.precision == DatePrecision.MONTH:
            return f"{MONTHS[first.month - 1]} {first.year}"
        if self.precision == DatePrecision.YEAR:
            return str(first.year)
        return f"between {day_words(first, year=first.year != last.year)} and {day_words(last)}"

    def precision_words(self):
        return short_label(DatePrecision, self.precision).lower() if self.precision else ""

    def machine(self):
        """The `datetime` of a `<time>` element for the interval, or None where HTML has no form for it."""
        if not self.dated:
            return None
        if self.precision == DatePrecision.DAY:
            return self.earliest.isoformat()
        if self.precision == DatePrecision.MONTH:
            return self.earliest.isoformat()[:7]
        if self.precision == DatePrecision.YEAR:
            return f"{self.earliest.year:04d}"
        if self.precision == DatePrecision.WEEK:
            year, week, _ = self.earliest.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return None


def holder_of(position):
    """(kind, key, name, slug) of whose stance a position is, from its JSON.

    The holder is the jurisdiction and/or organization, or the official alone (kb.models.Holder).
    """
    jurisdiction, organization, official = position["jurisdiction"], position["organization"], position["official"]
    if organization is not None:
        name = organization["name"] + (f" ({jurisdiction['name']})" if jurisdiction else "")
        key = ("organization", organization["slug"], jurisdiction["slug"] if jurisdiction else "")
        return "organization", key, name, organization["slug"]
    if jurisdiction is not None:
        return "jurisdiction", ("jurisdiction", jurisdiction["slug"]), jurisdiction["name"], jurisdiction["slug"]
    return "official", ("official", official["slug"]), official["name"], official["slug"]
