"""Who stood where on a program, and when: positions, the events they are versions of, who voiced them, and why.

A position is one version of a stance: its holder's, on a program, dated as an interval, cited.
Versions that sources tell differently of one happening share an `Event`. `as_of()` reads four
days stored on each position (`in_force_from`, `certain_from`, `contested_from`,
`in_force_until`), which `refresh_in_force()` keeps current whenever a holder's positions change;
docs/data-model.md states the rule.
"""

import bisect
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import BooleanField, Case, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from kb.lookups import in_subquery
from kb.models.actors import Jurisdiction, Official, Organization
from kb.models.base import (
    KnowledgeBaseHistory,
    Record,
    Searchable,
    SlugManager,
    SlugNaturalKey,
    SlugQuerySet,
    constraint_message,
    exactly_one_of,
    present_key_indexes,
    slugged_constraints,
)
from kb.models.dates import DatePrecision, check_interval, edtf, interval_constraint
from kb.models.programs import Program, ProgramFact


class Stance(models.TextChoices):
    """The fixed vocabulary of stances the API exposes."""

    SUPPORTS = "supports", "Supports: favours the program or urges others to join or keep it"
    OPPOSES = (
        "opposes",
        "Opposes: argues against the program or urges others not to join, without deciding participation itself",
    )
    PARTICIPATES = "participates", "Participates: takes part in the program"
    WILL_JOIN = "will_join", "Will join: says it will sign on to the program"
    REFUSES = "refuses", "Refuses: declines to sign on to the program it was not part of"
    WITHDRAWS = "withdraws", "Withdraws: leaves or suspends its existing participation"
    CONSIDERING_WITHDRAWAL = (
        "considering_withdrawal",
        "Considering withdrawal: weighing leaving, or legislation that would let it or its parts opt out",
    )


class DateBasis(models.TextChoices):
    STATED = "stated", "Stated: the source dates the stance (relative dates resolved against the source's date)"
    REPORTED = (
        "reported",
        "Reported: the source reports the stance undated; the date is the report's, so the stance was held by then",
    )


class InForce(models.TextChoices):
    """How sure `as_of` is that a stance was in force on the day asked about."""

    CERTAIN = "certain", "Certain: its event had certainly happened, and no later event may have begun"
    POSSIBLE = "possible", "Possible: its event may not have happened yet, or a later one may have begun"


@dataclass(frozen=True)
class Holder:
    """Whose stance a position is: its jurisdiction and/or organization, or its official alone when
    neither is named. Massachusetts' stance is the state's, whoever voices it."""

    jurisdiction_id: int | None
    organization_id: int | None
    official_id: int | None

    @classmethod
    def of(cls, position):
        if position.jurisdiction_id is None and position.organization_id is None:
            return cls(None, None, position.official_id)
        return cls(position.jurisdiction_id, position.organization_id, None)

    @property
    def key(self):
        """The holder as one indexed value: "j3", "o5", "j3-o5", or "p7" for an official alone."""
        parts = [
            f"j{self.jurisdiction_id}" if self.jurisdiction_id else "",
            f"o{self.organization_id}" if self.organization_id else "",
        ]
        return "-".join(part for part in parts if part) or f"p{self.official_id}"


class Event(SlugNaturalKey, Record):
    """One happening that sources tell differently (New York withdrew, suspended or refused):
    its versions are positions of one holder on one program, each with its own citations."""

    slug = models.SlugField(max_length=160, unique=True)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="events")
    summary = models.CharField(max_length=500, help_text="What happened, as every version agrees.")
    note = models.TextField(blank=True, help_text="How the versions differ.")

    objects = SlugManager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["slug"]
        constraints = [
            *slugged_constraints("event"),
            models.CheckConstraint(condition=~Q(summary=""), name="kb_event_summary_not_empty"),
        ]

    def __str__(self):
        return self.summary


# The days a position is in force, as PostgreSQL's range (no end: in force still; an end before
# its start, which a range refuses, is no day at all, as the B-tree condition has it).
IN_FORCE_RANGE_SQL = "daterange(in_force_from, CASE WHEN in_force_until < in_force_from THEN in_force_from ELSE in_force_until END, '[)')"


def as_of_leaves_range_out(filters):
    """Whether as_of() should leave the range out beside the positions list's other filters
    ({name: value}; a filter not given is absent or None). A program, an official, an organization
    or a jurisdiction without the ones inside it has an index that finds a page in order among a
    few thousand rows at most. A stance (a fifth of the positions) has not, nor a country with
    everything in it: their counts need the range to find the few in force on an early day."""
    if any(filters.get(name) is not None for name in ("program", "official", "organization")):
        return True
    return filters.get("jurisdiction") is not None and not filters.get("include_sub_jurisdictions")


class PositionQuerySet(SlugQuerySet):
    def held_by_jurisdiction(self, jurisdiction, include_sub_jurisdictions=False):
        """Positions held by a jurisdiction or by its officials; with sub-jurisdictions, of those too."""
        if include_sub_jurisdictions:
            places = jurisdiction.within().values("pk")
            held = Q(in_subquery("jurisdiction_id", places))
        else:
            held = Q(jurisdiction_id=jurisdiction.pk)
        # The officials as a subquery, not a join, written so that an index answers each side of
        # the OR on PostgreSQL too (kb.lookups).
        officials = Official.objects.filter(
            in_subquery("jurisdiction_id", places) if include_sub_jurisdictions else Q(jurisdiction_id=jurisdiction.pk)
        ).values("pk")
        return self.filter(held | Q(in_subquery("official_id", officials)))

    def voiced_by(self, official=None, organization=None):
        """Positions an official or an organization voiced, at any rank of the chain of attribution."""
        voices = Voice.objects.filter(position__isnull=False)
        voices = voices.filter(official=official) if official is not None else voices.filter(organization=organization)
        return self.filter(in_subquery("pk", voices.values("position_id")))

    def held_or_voiced_by(self, official=None, organization=None):
        """An official's or an organization's timeline: what it held and what it voiced."""
        if official is not None:
            held, voices = Q(official=official), Voice.objects.filter(official=official)
        else:
            held, voices = Q(organization=organization), Voice.objects.filter(organization=organization)
        return self.filter(held | Q(in_subquery("pk", voices.values("position_id"))))

    def disputed(self, disputed=True):
        """Positions whose event has another version (True), or none (False)."""
        other_versions = Position.objects.filter(event_id=models.OuterRef("event_id")).exclude(pk=models.OuterRef("pk"))
        condition = Q(event__isnull=False) & Q(models.Exists(other_versions))
        return self.filter(condition) if disputed else self.exclude(condition)

    def as_of(self, day, by_range=True):
        """For each holder and program, every version of its latest event begun by `day`, each
        annotated `in_force`: certain or possible (docs/data-model.md, "as_of").

        On PostgreSQL the days are also tested as a range, which the GiST index of migration 0021
        answers when few positions are in force on `day` (a B-tree would read every position begun
        by then to find them). `by_range=False` leaves it out, where as_of_leaves_range_out() says
        another filter's index reads the page: the planner would add the range's bitmap to that
        index (at 200,000 positions, a program's page took 19 ms with the range and 6 without; a
        state's, 23 and 5). A timeline keeps the range: its rows are the holder's own."""
        certain = Q(certain_from__lte=day) & (Q(contested_from__isnull=True) | Q(contested_from__gt=day))
        in_force = self.filter(in_force_from__lte=day).filter(
            Q(in_force_until__isnull=True) | Q(in_force_until__gt=day)
        )
        if by_range and connections[self.db].vendor == "postgresql":
            in_force = in_force.filter(RawSQL(IN_FORCE_RANGE_SQL + " @> %s::date", (day,), output_field=BooleanField()))
        return in_force.annotate(
            in_force=Case(When(certain, then=Value(InForce.CERTAIN)), default=Value(InForce.POSSIBLE))
        )


class Position(SlugNaturalKey, Searchable):
    """A stance taken on a program by a holder, at a date the sources allow, cited: one version of an event."""

    slug = models.SlugField(max_length=160, unique=True)
    # The holder and program keys are indexed by the (key, date_earliest, slug) indexes of Meta:
    # an index on the key alone would only tempt the planner away from the one that keeps order.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="positions", db_index=False)
    event = models.ForeignKey(
        Event,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="versions",
        help_text="The event this position is one version of, when sources tell it differently.",
    )
    official = models.ForeignKey(
        Official,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="positions",
        help_text="The official whose own stance it is; who voiced a stance is in its voices.",
        db_index=False,
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, null=True, blank=True, related_name="positions", db_index=False
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="positions", db_index=False
    )
    stance = models.CharField(max_length=30, choices=Stance.choices)
    date_earliest = models.DateField(help_text="Earliest day the stance can have been taken.")
    date_latest = models.DateField(help_text="Latest day: it had certainly been taken by then.")
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices)
    date_basis = models.CharField(max_length=10, choices=DateBasis.choices, default=DateBasis.STATED)
    date_text = models.CharField(
        max_length=200,
        blank=True,
        help_text='The date as the source words it, e.g. "last December"; empty for a reported position.',
    )
    summary = models.CharField(max_length=500, help_text="One line: who, what, when; nothing its quotes do not say.")
    note = models.TextField(blank=True, help_text="How the date was resolved, or how this version differs.")

    # Derived, kept current by refresh_in_force(): the holder as one value, and what as_of() reads.
    holder_key = models.CharField(max_length=50, editable=False, default="")
    in_force_from = models.DateField(null=True, editable=False, help_text="Its event may have begun on this day.")
    certain_from = models.DateField(null=True, editable=False, help_text="Its event had certainly happened by then.")
    contested_from = models.DateField(
        null=True, editable=False, help_text="A later event of its holder may have begun on this day."
    )
    in_force_until = models.DateField(
        null=True, editable=False, help_text="First day a later event of its holder had certainly happened."
    )

    objects = PositionQuerySet.as_manager()
    history = KnowledgeBaseHistory(
        excluded_fields=[
            "search_text",
            "holder_key",
            "in_force_from",
            "certain_from",
            "contested_from",
            "in_force_until",
        ]
    )

    class Meta:
        ordering = ["date_earliest", "slug"]
        # Each list and timeline reads a page in (date_earliest, slug) order, filtered by one of
        # these; the index hands the rows over in order, so a page costs the same at any table size.
        indexes = [
            # The order, and what date_after (date_latest) and as_of (in_force_*) test, checked in
            # the index itself: a page of those filters reads index entries until it is full.
            models.Index(
                fields=["date_earliest", "slug", "date_latest", "in_force_from", "in_force_until"],
                name="kb_position_date_order",
            ),
            # ?disputed=true: the positions of events, in order (each then checked for a sibling).
            models.Index(
                fields=["date_earliest", "slug"], name="kb_position_event_date", condition=Q(event__isnull=False)
            ),
            models.Index(
                fields=["program", "date_earliest", "slug", "date_latest", "in_force_from", "in_force_until"],
                name="kb_position_program_order",
            ),
            # The common pair: a stance on a program.
            models.Index(fields=["program", "stance", "date_earliest", "slug"], name="kb_position_program_stance"),
            models.Index(fields=["jurisdiction", "date_earliest", "slug"], name="kb_position_jurisdiction_date"),
            models.Index(fields=["official", "date_earliest", "slug"], name="kb_position_official_date"),
            # The common pair: a stance of a jurisdiction and its officials. Without these, PostgreSQL
            # ANDs the holder's bitmap with the stance's, a fifth of the table (5.5 ms at 200,000
            # positions; 0.4 with them). "place": Django allows 30 characters.
            models.Index(fields=["jurisdiction", "stance", "date_earliest", "slug"], name="kb_position_place_stance"),
            models.Index(fields=["official", "stance", "date_earliest", "slug"], name="kb_position_official_stance"),
            models.Index(fields=["organization", "date_earliest", "slug"], name="kb_position_organization_date"),
            models.Index(
                fields=["stance", "date_earliest", "slug", "date_latest", "in_force_from", "in_force_until"],
                name="kb_position_stance_order",
            ),
            # refresh_in_force() reads one holder's positions on one program.
            models.Index(fields=["program", "holder_key"], name="kb_position_holder"),
        ]
        constraints = [
            *slugged_constraints("position"),
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="kb_position_stance_valid"),
            models.CheckConstraint(condition=Q(date_basis__in=DateBasis.values), name="kb_position_date_basis_valid"),
            interval_constraint("position", "date", required=True),
            models.CheckConstraint(
                condition=Q(date_basis=DateBasis.REPORTED) | ~Q(date_text=""),
                name="kb_position_stated_date_has_words",
                violation_error_message="A stated date gives the source's words for it (date_text).",
            ),
            models.CheckConstraint(
                condition=Q(official__isnull=False) | Q(jurisdiction__isnull=False) | Q(organization__isnull=False),
                name="kb_position_has_holder",
                violation_error_message="A position is held by a jurisdiction, an organization or an official: name one.",
            ),
            models.CheckConstraint(condition=~Q(summary=""), name="kb_position_summary_not_empty"),
        ]

    def __str__(self):
        return self.summary

    @property
    def holder(self):
        return Holder.of(self)

    @property
    def holder_name(self):
        if self.jurisdiction_id is None and self.organization_id is None:
            return str(self.official)
        return " / ".join(str(part) for part in (self.organization, self.jurisdiction) if part)

    @property
    def date_edtf(self):
        return edtf(self.date_earliest, self.date_latest, self.date_precision)

    def clean(self):
        # What two check constraints say, on the field at fault (a constraint names none).
        if self.official_id is None and self.jurisdiction_id is None and self.organization_id is None:
            raise ValidationError({"jurisdiction": constraint_message(Position, "kb_position_has_holder")})
        if self.date_basis == DateBasis.STATED and not self.date_text:
            raise ValidationError({"date_text": constraint_message(Position, "kb_position_stated_date_has_words")})
        check_interval(self, "date", required=True)
        if self.event_id is None or self.program_id is None:
            return
        if self.event.program_id != self.program_id:
            raise ValidationError({"event": "The event is on another program: its versions share the program."})
        if self.event._state.adding:
            return  # an event not saved yet has no other versions to compare with
        others = self.event.versions.exclude(pk=self.pk).only("jurisdiction", "organization", "official")
        if any(Holder.of(other) != Holder.of(self) for other in others):
            raise ValidationError(
                {"event": "Versions of one event share a holder; this event's other versions have another."}
            )

    def save(self, *args, **kwargs):
        self.holder_key = Holder.of(self).key
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"official", "jurisdiction", "organization"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "holder_key"}
        super().save(*args, **kwargs)


def evidence_errors(position, cited):
    """What a position's row cannot tell alone, read against its own citations, given as (quote,
    source) pairs (not its voices' or reasons'): its date words are verbatim in one of the quotes,
    and a reported date is the published interval of one of the sources. {field: message}, empty
    when both hold. The fixture build and the API's writes both ask here."""
    errors = {}
    if position.date_text and not any(position.date_text in quote for quote, _ in cited):
        errors["date_text"] = (
            f"The date words {position.date_text!r} are not in any of the position's own quotes: "
            "cite the words that date it."
        )
    if position.date_basis == DateBasis.REPORTED:
        sources = {source.pk: source for _, source in cited}.values()
        reports = {(s.published_earliest, s.published_latest, s.published_precision) for s in sources}
        if (position.date_earliest, position.date_latest, position.date_precision) not in reports:
            dated = ", ".join(sorted(f"{s.slug} {s.published_edtf or 'undated'}" for s in sources))
            errors["date_earliest"] = (
                "A reported position is dated by its report: its interval is the publication date of one of its "
                f"citing sources ({dated})."
            )
    return errors


class ReasonTopic(models.TextChoices):
    """A small vocabulary of the reasons the sources give, so "who cited racial profiling?" has an answer."""

    TARGETS_NON_CRIMINALS = "targets_non_criminals", "Catches non-criminals or minor offenders, not serious criminals"
    DETERS_CRIME_REPORTING = "deters_crime_reporting", "Deters immigrants or victims from reporting crime"
    RACIAL_PROFILING = "racial_profiling", "Encourages racial profiling"
    FEDERAL_ROLE = "federal_role", "Immigration enforcement is the federal government's role"
    MIXED_MESSAGES = "mixed_messages", "The federal government sent conflicting messages about the program"
    MANDATORY_PARTICIPATION = "mandatory_participation", "Participation is, or may be, mandatory"
    PUBLIC_SAFETY = "public_safety", "Public safety: removing dangerous criminals"
    COMMUNITY_FEAR = "community_fear", "Creates fear in the immigrant community"
    EFFECTIVENESS = "effectiveness", "Doubts that it works, without saying how it fails"
    COST = "cost", "What it costs the public"
    OTHER = "other", "Other"


class ReasonQuerySet(models.QuerySet):
    def get_by_natural_key(self, position_slug, rank):
        return self.get(position__slug=position_slug, rank=rank)


class Reason(Record):
    """A reason the sources give for a position: a short summary, a topic, and its own quotes."""

    position = models.ForeignKey(Position, on_delete=models.CASCADE, related_name="reasons")
    rank = models.PositiveSmallIntegerField(default=0, help_text="Order among the position's reasons.")
    topic = models.CharField(max_length=30, choices=ReasonTopic.choices)
    summary = models.CharField(max_length=300, help_text="The reason in a few words; nothing its quotes do not say.")

    objects = ReasonQuerySet.as_manager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["position", "rank"]
        constraints = [
            models.CheckConstraint(condition=Q(topic__in=ReasonTopic.values), name="kb_reason_topic_valid"),
            models.CheckConstraint(condition=~Q(summary=""), name="kb_reason_summary_not_empty"),
            models.UniqueConstraint(fields=["position", "rank"], name="kb_reason_unique_rank"),
        ]

    def __str__(self):
        return self.summary

    def natural_key(self):
        return (self.position.slug, self.rank)

    natural_key.dependencies = ["kb.position"]


VOICED_FIELDS = ("position", "program_fact")
SPEAKER_FIELDS = ("official", "organization")


class VoiceQuerySet(models.QuerySet):
    def get_by_natural_key(self, voiced_field, voiced_slug, speaker_field, speaker_slug):
        if voiced_field not in VOICED_FIELDS or speaker_field not in SPEAKER_FIELDS:
            raise self.model.DoesNotExist(f"No such voiced or speaker field: {voiced_field}, {speaker_field}")
        return self.get(**{f"{voiced_field}__slug": voiced_slug, f"{speaker_field}__slug": speaker_slug})


class Voice(Record):
    """Who voiced a position or a fact, in a chain of attribution: rank 0 is a voice the source
    quotes, rank 1 whom that voice relays, and so on (AP reports that Heffernan said that some
    law-enforcement officials fear the program). Two sources may quote two voices at one rank."""

    position = models.ForeignKey(Position, on_delete=models.CASCADE, null=True, blank=True, related_name="voices")
    program_fact = models.ForeignKey(
        ProgramFact, on_delete=models.CASCADE, null=True, blank=True, related_name="voices"
    )
    rank = models.PositiveSmallIntegerField(
        default=0, help_text="0: the voice the source quotes; 1: whom it relays; ..."
    )
    official = models.ForeignKey(Official, on_delete=models.PROTECT, null=True, blank=True, related_name="voices")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="voices"
    )

    objects = VoiceQuerySet.as_manager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["position", "program_fact", "rank", "pk"]
        # ?voiced_by= and the timelines read a speaker's positions from the index alone.
        indexes = [
            models.Index(fields=["official", "position"], name="kb_voice_official_position"),
            models.Index(fields=["organization", "position"], name="kb_voice_organization_position"),
            *present_key_indexes("voice", (*VOICED_FIELDS, *SPEAKER_FIELDS)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one_of(VOICED_FIELDS),
                name="kb_voice_voices_exactly_one",
                violation_error_message="A voice belongs to exactly one position or program fact.",
            ),
            models.CheckConstraint(
                condition=exactly_one_of(SPEAKER_FIELDS),
                name="kb_voice_speaker_exactly_one",
                violation_error_message="A voice is an official's or an organization's: name exactly one.",
            ),
            models.UniqueConstraint(fields=["position", "official"], name="kb_voice_official_once_per_position"),
            models.UniqueConstraint(
                fields=["position", "organization"], name="kb_voice_organization_once_per_position"
            ),
            models.UniqueConstraint(fields=["program_fact", "official"], name="kb_voice_official_once_per_fact"),
            models.UniqueConstraint(
                fields=["program_fact", "organization"], name="kb_voice_organization_once_per_fact"
            ),
        ]

    def __str__(self):
        return str(self.speaker)

    @property
    def voiced_field(self):
        return next((field for field in VOICED_FIELDS if getattr(self, f"{field}_id") is not None), None)

    @property
    def speaker_field(self):
        return "official" if self.official_id is not None else "organization"

    @property
    def speaker(self):
        return getattr(self, self.speaker_field)

    def natural_key(self):
        return (self.voiced_field, getattr(self, self.voiced_field).slug, self.speaker_field, self.speaker.slug)

    natural_key.dependencies = ["kb.position", "kb.programfact", "kb.official", "kb.organization"]


# ---- The days as_of() reads, kept current ----

_deferred = threading.local()


@contextmanager
def deferred_in_force():
    """Within the block, position writes leave the stored as_of days alone; call refresh_in_force() after."""
    _deferred.on = True
    try:
        yield
    finally:
        _deferred.on = False


def refresh_in_force(groups=None):
    """Recompute the as_of days of the positions of each (program id, holder key) in `groups` (all when None)."""
    positions = Position.objects.all()
    if groups is not None:
        groups = set(groups)
        if not groups:
            return
        condition = Q()
        for program_id, holder_key in groups:
            condition |= Q(program_id=program_id, holder_key=holder_key)
        positions = positions.filter(condition)
    rows = positions.values(
        "pk",
        "program_id",
        "holder_key",
        "event_id",
        "date_earliest",
        "date_latest",
        "in_force_from",
        "certain_from",
        "contested_from",
        "in_force_until",
    )
    by_group = defaultdict(list)
    for row in rows:
        by_group[row["program_id"], row["holder_key"]].append(row)
    changed = []
    for group_rows in by_group.values():
        changed.extend(_in_force_of_group(group_rows))
    Position.objects.bulk_update(
        changed, ["in_force_from", "certain_from", "contested_from", "in_force_until"], batch_size=1000
    )


def in_force_days(rows):
    """The rule for one holder on one program: {pk: (in_force_from, certain_from, contested_from,
    in_force_until)} for its positions, given as rows with `pk`, `event_id`, `date_earliest` and
    `date_latest`. An event may have begun on the earliest day of any of its versions and had
    certainly happened by the earliest latest day; it is superseded on the day a later event (one
    that began after it had certainly happened) had certainly happened. Bulk writers (the
    synthetic generator) compute the stored days with it, as refresh_in_force() does."""
    events = defaultdict(list)
    for row in rows:
        events[("event", row["event_id"]) if row["event_id"] else ("own", row["pk"])].append(row)
    spans = {
        key: (min(r["date_earliest"] for r in versions), min(r["date_latest"] for r in versions))
        for key, versions in events.items()
    }
    # Events in order of when they may have begun; for each, the first day any event from there on is certain.
    ordered = sorted(spans.items(), key=lambda item: item[1][0])
    begins = [begun for _, (begun, _) in ordered]
    first_certain_from = [None] * (len(ordered) + 1)
    for index in range(len(ordered) - 1, -1, -1):
        certain = ordered[index][1][1]
        following = first_certain_from[index + 1]
        first_certain_from[index] = certain if following is None else min(certain, following)
    days = {}
    for key, versions in events.items():
        begun, certain = spans[key]
        later = bisect.bisect_right(begins, certain)  # events that began after this one had certainly happened
        contested = begins[later] if later < len(ordered) else None
        until = first_certain_from[later]
        for row in versions:
            days[row["pk"]] = (begun, certain, contested, until)
    return days


def _in_force_of_group(rows):
    """The positions among `rows` (one holder, one program) whose stored as_of days differ from in_force_days()."""
    changed, days = [], in_force_days(rows)
    for row in rows:
        wanted = days[row["pk"]]
        if (row["in_force_from"], row["certain_from"], row["contested_from"], row["in_force_until"]) != wanted:
            begun, certain, contested, until = wanted
            changed.append(
                Position(
                    pk=row["pk"],
                    in_force_from=begun,
                    certain_from=certain,
                    contested_from=contested,
                    in_force_until=until,
                )
            )
    return changed


@receiver(pre_save, sender=Position)
def _remember_group(sender, instance, **kwargs):
    instance.holder_key = Holder.of(instance).key  # loads save raw, past save()
    if instance.pk is not None:
        instance._group_before = Position.objects.filter(pk=instance.pk).values_list("program_id", "holder_key").first()


@receiver(post_save, sender=Position)
def _refresh_group_after_save(sender, instance, **kwargs):
    if getattr(_deferred, "on", False):
        return
    groups = {(instance.program_id, instance.holder_key)}
    before = getattr(instance, "_group_before", None)
    if before:
        groups.add(before)
    refresh_in_force(groups)


@receiver(post_delete, sender=Position)
def _refresh_group_after_delete(sender, instance, **kwargs):
    if not getattr(_deferred, "on", False):
        refresh_in_force({(instance.program_id, instance.holder_key)})
