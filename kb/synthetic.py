"""A synthetic knowledge base at scale, for measuring: generated beside the real one, never mixed in.

Every synthetic record with a slug has one starting `synthetic-` (and every synthetic source's
file name starts `synthetic/`); a record without a slug (a citation, other name, voice, reason or
source part) belongs to synthetic ones, and synthetic records point only at synthetic records.
So `remove()` takes them all out with a few set-wise deletes and leaves the real knowledge base
exactly as it was.

It holds every kind of record the real one does, in like proportions (`Sizes` and the shares
below): dates of every precision, positions voiced by officials and positions that are an
official's own stance, reasons, events told in two versions, sources derived from others and
sources ending in reader comments (never cited).

Rows are built in Python and written in bulk: COPY on PostgreSQL, executemany elsewhere. Neither
sends model signals, so the generator fills every derived column itself, with the rules the models
use: jurisdictions' paths, sources' lineage roots, positions' holder keys and as_of days
(`kb.models.positions.in_force_days`), and search text (the words kb.search.search_text_of
stores). Per-row saves would cost minutes at this size; tests/test_synthetic.py checks the
columns equal what kb.derived.refresh_all() computes.
"""

import datetime
import gc
import itertools
import json
import random
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connections, transaction
from django.db.models import Q

from kb import registry, version
from kb.models import (
    Citation,
    DateBasis,
    DatePrecision,
    Derivation,
    Event,
    Holder,
    Jurisdiction,
    JurisdictionKind,
    Official,
    Organization,
    OrganizationKind,
    OtherName,
    Position,
    Program,
    ProgramFact,
    ProgramFactKind,
    Reason,
    ReasonTopic,
    Source,
    SourceKind,
    SourcePart,
    SourcePartKind,
    Stance,
    Voice,
)
from kb.models.dates import interval_for
from kb.models.positions import in_force_days
from kb.search import WORD

SLUG_PREFIX = "synthetic-"
FILE_PREFIX = "synthetic/"
DEFAULT_POSITIONS = 200_000
DEFAULT_SEED = 2011
# The synthetic country's Open Civic Data id: "zz" is a private-use country code, never a real one.
COUNTRY_OCD_ID = "ocd-division/country:zz"

# Shares of records that have each kind of related record.
SECOND_VERSION_SHARE = 0.05  # positions whose event another source tells differently: a second version
REASON_SHARE = 0.30  # positions with a reason
VOICE_SHARE = 0.60  # positions of a jurisdiction or an organization voiced by one of its officials
REPORTED_SHARE = 0.10  # positions dated only by the article that reports them
DERIVED_SOURCE_SHARE = 0.10  # sources that carry or quote an earlier source
COMMENTED_SOURCE_SHARE = 0.20  # sources that end in reader comments


@dataclass(frozen=True)
class Sizes:
    """How many of each record: everything scales from the number of positions.

    At the default 200,000 positions: 50 programs, 5,000 jurisdictions (1 country, 50 states,
    cities), 500 organizations, 20,000 officials (half with another name) and 20,000 sources.
    Each position is quoted by two sources; with the shares above, about 10,000 events, 114,000
    voices, 60,000 reasons and 640,000 citations.
    """

    positions: int

    @property
    def programs(self):
        return max(2, self.positions // 4000)

    @property
    def jurisdictions(self):
        return max(6, self.positions // 40)

    @property
    def states(self):
        return max(2, min(50, self.jurisdictions // 20))

    @property
    def organizations(self):
        return max(3, self.positions // 400)

    @property
    def officials(self):
        return max(5, self.positions // 10)

    @property
    def sources(self):
        # At least five: the two versions of an event are quoted by four different sources.
        return max(5, self.positions // 10)


def _has_slug(model):
    return any(field.name == "slug" for field in model._meta.concrete_fields)


def synthetic(model):
    """The synthetic rows of a knowledge-base model: by slug, or by the slugged records they belong to."""
    if _has_slug(model):
        return model._default_manager.filter(slug__startswith=SLUG_PREFIX)
    owners = [field for field in model._meta.concrete_fields if field.is_relation and _has_slug(field.related_model)]
    # A citation always has its source, a reason its position: those say. Others belong to one of several.
    condition = Q()
    for field in [field for field in owners if not field.null] or owners:
        condition |= Q(**{f"{field.name}__slug__startswith": SLUG_PREFIX})
    return model._default_manager.filter(condition)


def counts(using="default"):
    return {model.__name__: synthetic(model).using(using).count() for model in registry.record_models()}


def remove(using="default"):
    """Delete every synthetic row, set-wise; return {model name: rows deleted}."""
    with transaction.atomic(using=using):
        with _bulk_writing(connections[using], deleting_only=True):
            deleted = _delete(using)
        _finish(using)
    return deleted


def _delete(using):
    deleted = {}
    # Children first. Foreign keys are checked at commit (Django makes them deferrable on PostgreSQL
    # and SQLite), so rows of one table that point at one another (a source derived from another,
    # a city in its state) go in the same delete.
    for model in reversed(registry.record_models()):
        # A raw delete: no per-row signals (search refresh, history, as_of days) and no cascade
        # collection; children went first, so nothing is left to cascade to.
        deleted[model.__name__] = synthetic(model).using(using)._raw_delete(using)
    return dict(sorted(deleted.items()))


def _finish(using):
    """Where every generation and every removal ends, inside its transaction: the knowledge base
    has changed, so its version advances (ETags, cached pages and downloads are stale)."""
    version.advance(using)
    connection = connections[using]
    # Fresh statistics, or the planner keeps believing the tables are the size they were (SQLite,
    # without any, takes an index on a stance for as selective as one on a jurisdiction).
    tables = [model._meta.db_table for model in registry.record_models()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(tables))
        elif connection.vendor == "sqlite":
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


# --- Words -------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Alice Amara Andre Beatriz Calvin Carmen Dana Daniel Deval Diego Elena Elliot Esther Farah Felix Gloria "
    "Grace Hana Harold Imani Isaac Jamal Janet Joaquin Jonah Karen Kwame Laila Leon Lucia Malcolm Maria Martin "
    "Maya Miguel Nadia Nathan Nora Omar Patricia Paul Priya Quentin Rafael Rosa Ruth Samuel Sara Tomas Valerie "
    "Victor Walter Yusuf Zoe"
).split()
LAST_NAMES = (
    "Abbott Alvarez Baker Barros Bennett Brennan Carver Castillo Chen Costa Delgado Donovan Ellis Ferreira "
    "Fitzgerald Garcia Gallagher Haddad Hayes Ibarra Jensen Kaplan Kowalski Lambert Levine Lopez Mahoney "
    "Marchetti Medina Mercer Molina Nakamura Navarro Novak Okafor Oliveira Ortega Patel Pereira Quinlan Ramos "
    "Reyes Rinaldi Rossi Salazar Santos Schultz Shah Sullivan Tanaka Torres Vargas Walsh Weber Whitman Young Zamora"
).split()
PLACE_STARTS = (
    "Ash Bay Bright Cedar Clear Cold Elm Fair Fox Glen Gold Green Harbor High Iron Lake Long Maple Mill New North "
    "Oak Pine Port Red River Rock Salt Silver South Spring Stone Sun West White Wild Willow Wolf"
).split()
PLACE_ENDS = (
    "brook bury dale field ford gate haven hill hurst land lea mont moor mouth port ridge ton vale view wick wood worth"
).split()
STATE_WORDS = (
    "Adira Belmora Calvera Dunmore Estova Farrow Galena Halvard Istra Jessamy Kestrel Lorana Mardell Norvale "
    "Ostrava Pellan Quarry Rovena Selwyn Tamsin Umbria Valen Westmark Yarrow Zephyr"
).split()
PROGRAM_ADJECTIVES = (
    "Secure Regional Shared Integrated Joint Federal Community Safe National Priority Rapid Unified Coordinated "
    "Local Border"
).split()
PROGRAM_NOUNS = (
    "Communities Identification Enforcement Detainers Screening Partnerships Records Fingerprinting Notification "
    "Referrals Alerts Custody Transfers Inquiries"
).split()
PUBLISHERS = (
    "The Harbor Ledger",
    "Valley Courier",
    "The Northern Sentinel",
    "Capitol Dispatch",
    "Public Radio North",
    "The Daily Meridian",
    "Coastal Tribune",
    "The Evening Register",
    "Statehouse Notes",
    "The Lakeside Post",
)
FILLER_SENTENCES = (
    "The program compares the fingerprints of everyone booked into local jails against federal databases.",
    "Advocates said the checks make immigrant residents afraid to report crimes to the police.",
    "Supporters argued that the checks help remove people convicted of serious crimes.",
    "Officials did not say how many people had been referred through the program so far.",
    "The decision followed several months of hearings and a report from a state advisory council.",
    "Critics pointed to figures showing that many of those deported had no criminal record.",
    "Police chiefs were divided, with some warning that trust in their officers would suffer.",
    "A spokesman for the federal agency said participation would eventually be required everywhere.",
    "Lawmakers asked for an independent review of how the data were shared and kept.",
    "The county sheriff said the department would follow whatever the state decided.",
    "Several city councils passed resolutions on the program during the same week.",
    "Community groups held a rally outside the statehouse on the morning of the announcement.",
)
STANCE_PHRASES = {
    Stance.SUPPORTS: "backed",
    Stance.OPPOSES: "spoke out against",
    Stance.PARTICIPATES: "took part in",
    Stance.WILL_JOIN: "agreed to join",
    Stance.REFUSES: "refused to sign on to",
    Stance.WITHDRAWS: "pulled out of",
    Stance.CONSIDERING_WITHDRAWAL: "weighed leaving",
}
# What a holder plausibly does next: a chain of positions reads like a real story.
NEXT_STANCES = {
    None: [Stance.CONSIDERING_WITHDRAWAL, Stance.WILL_JOIN, Stance.PARTICIPATES, Stance.OPPOSES, Stance.SUPPORTS],
    Stance.WILL_JOIN: [Stance.PARTICIPATES, Stance.REFUSES],
    Stance.PARTICIPATES: [Stance.CONSIDERING_WITHDRAWAL, Stance.PARTICIPATES, Stance.SUPPORTS],
    Stance.CONSIDERING_WITHDRAWAL: [Stance.WITHDRAWS, Stance.PARTICIPATES],
    Stance.WITHDRAWS: [Stance.WILL_JOIN, Stance.OPPOSES],
    Stance.REFUSES: [Stance.WILL_JOIN, Stance.OPPOSES, Stance.REFUSES],
    Stance.OPPOSES: [Stance.REFUSES, Stance.SUPPORTS, Stance.OPPOSES],
    Stance.SUPPORTS: [Stance.PARTICIPATES, Stance.OPPOSES],
}
FIRST_DAY = datetime.date(2003, 1, 1)
DAYS = (datetime.date(2020, 12, 31) - FIRST_DAY).days
# How another source tells the same event: New York "withdrew", "suspended" or "refused".
OTHER_TELLING = {
    Stance.SUPPORTS: Stance.PARTICIPATES,
    Stance.OPPOSES: Stance.REFUSES,
    Stance.PARTICIPATES: Stance.WILL_JOIN,
    Stance.WILL_JOIN: Stance.PARTICIPATES,
    Stance.REFUSES: Stance.WITHDRAWS,
    Stance.WITHDRAWS: Stance.REFUSES,
    Stance.CONSIDERING_WITHDRAWAL: Stance.WITHDRAWS,
}
# What the sources give as reasons, by topic: the reason's quote is "the program <phrase>".
REASON_PHRASES = {
    ReasonTopic.TARGETS_NON_CRIMINALS: "catches people with no criminal record instead of serious criminals",
    ReasonTopic.DETERS_CRIME_REPORTING: "makes immigrants afraid to report crimes",
    ReasonTopic.RACIAL_PROFILING: "invites racial profiling",
    ReasonTopic.FEDERAL_ROLE: "turns local police into federal immigration agents",
    ReasonTopic.MIXED_MESSAGES: "came with conflicting messages from federal officials",
    ReasonTopic.MANDATORY_PARTICIPATION: "would soon be mandatory anyway",
    ReasonTopic.PUBLIC_SAFETY: "removes dangerous criminals from the streets",
    ReasonTopic.COMMUNITY_FEAR: "spreads fear among immigrant families",
    ReasonTopic.EFFECTIVENESS: "has not been shown to work",
    ReasonTopic.COST: "costs the county money it does not have",
}
READER_COMMENTS = (
    "This program makes everyone less safe.",
    "About time someone stood up to Washington.",
    "Who is paying for all of this?",
    "My neighbors are afraid to call the police now.",
    "The article leaves out what the sheriff said last year.",
    "Enforce the law and stop the politics.",
)
# Dates of every precision, in about the proportions of the real knowledge base.
PRECISION_WEIGHTS = {
    DatePrecision.DAY: 60,
    DatePrecision.WEEK: 8,
    DatePrecision.MONTH: 17,
    DatePrecision.YEAR: 10,
    DatePrecision.RANGE: 5,
}
PRECISIONS = list(PRECISION_WEIGHTS)
PRECISION_CUMULATIVE_WEIGHTS = list(itertools.accumulate(PRECISION_WEIGHTS.values()))
MONTHS = [None, *(datetime.date(2000, month, 1).strftime("%B") for month in range(1, 13))]
PARTS_OF_MONTH = (("early", 1, 10), ("mid", 11, 20), ("late", 21, None))
FIRST_DAY = datetime.date(2003, 1, 1)
LAST_DAY = datetime.date(2020, 12, 31)
DAYS = (LAST_DAY - FIRST_DAY).days
REPORTED_NOTE = "Reported without a date; dated by the article."

ASCII_SEPARATORS = str.maketrans({chr(code): " " for code in range(128) if not chr(code).isalnum()})


def words_of(*parts):
    """What kb.search stores as a record's search text, from its parts in search_text_of's order."""
    return " ".join(WORD.findall(" ".join(part for part in parts if part)))


def ascii_words(text):
    """words_of(text) for ASCII text, where kb.search's words are the runs of letters and digits (faster)."""
    return " ".join(text.translate(ASCII_SEPARATORS).split())


def joined(*words):
    """Search texts (or their pieces) joined as one: empty pieces add no space."""
    return " ".join(piece for piece in words if piece)


def slugify(text):
    return "-".join(word.lower() for word in WORD.findall(text))


def long_date(day):
    return f"{MONTHS[day.month]} {day.day}, {day.year}"


# --- Generation --------------------------------------------------------------------------------


class Table:
    """Rows for one model, as lists in its concrete fields' order, with ids following the table's."""

    def __init__(self, model, first_id):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.names = [field.attname for field in self.fields]
        self.defaults = [_default(field) for field in self.fields]
        self.column_of = {name: index for index, name in enumerate(self.names)}
        self.next_id = first_id
        self.rows = []

    def add(self, **values):
        row = self.defaults.copy()
        for name, value in values.items():
            row[self.column_of[name]] = value
        pk = row[self.column_of["id"]] = self.next_id
        self.next_id += 1
        self.rows.append(row)
        return pk

    def row(self, pk):
        return self.rows[pk - self.rows[0][self.column_of["id"]]]

    def set(self, pk, **values):
        row = self.row(pk)
        for name, value in values.items():
            row[self.column_of[name]] = value


def _default(field):
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    return ""


@dataclass
class Sentence:
    """A sentence of a source's text, and what it is evidence for: (citation field, record id,
    offset of the quote in the sentence, quote)."""

    text: str
    words: str
    cites: list


class Text:
    """A source's text as it is written, sentence by sentence, with its words (search_text_of's:
    sentences are separated by non-word characters, so the text's words are its sentences')."""

    def __init__(self, words_before):
        self.parts, self.words, self.length = [], [words_before], 0

    def add(self, sentence, words, separator=" "):
        """Append a sentence; return its offset."""
        start = self.length
        self.parts.append(sentence + separator)
        self.words.append(words)
        self.length += len(sentence) + len(separator)
        return start


class Generator:
    def __init__(self, sizes, seed, using):
        self.sizes = sizes
        self.random = random.Random(seed)
        self.tables = {}
        for model in registry.record_models():
            last = model._default_manager.using(using).order_by("-pk").values_list("pk", flat=True).first() or 0
            self.tables[model] = Table(model, last + 1)
        self._filler_words = {sentence: ascii_words(sentence) for sentence in (*FILLER_SENTENCES, *READER_COMMENTS)}
        # Sentences each source will carry, by source number: what it reports, dated, and mentions.
        self.reported = [[] for _ in range(sizes.sources)]
        self.mentions = []

    def build(self):
        self._jurisdictions()
        self._organizations()
        self._officials()
        self._programs()
        self._positions()
        self._in_force()
        self._sources()
        self._finish_position_search_text()
        return self.tables

    def _unique_name(self, make, taken):
        while True:
            name = make()
            if name not in taken:
                taken.add(name)
                return name

    def _other_name(self, owner_field, owner, name):
        return self.tables[OtherName].add(name=name, **{f"{owner_field}_id": owner})

    def _jurisdictions(self):
        table, rand = self.tables[Jurisdiction], self.random
        self.jurisdiction_names = {}

        def add(name, kind, parent, ocd_id, slug):
            pk = table.next_id
            path = f"{self.jurisdiction_paths[parent] if parent else '/'}{pk}/"  # as refresh_paths() stores it
            table.add(
                slug=slug,
                name=name,
                kind=kind,
                parent_id=parent,
                ocd_id=ocd_id,
                path=path,
                search_text=words_of(name, ocd_id),
            )
            self.jurisdiction_names[pk] = name
            self.jurisdiction_paths[pk] = path
            return pk

        self.jurisdiction_paths = {}
        self.country = add(
            "Synthetic Federation", JurisdictionKind.COUNTRY, None, COUNTRY_OCD_ID, f"{SLUG_PREFIX}federation"
        )
        self.states, self.cities = [], []
        taken = set()
        for number in range(self.sizes.states):
            name = self._unique_name(
                lambda: f"{rand.choice(STATE_WORDS)} {rand.choice(PLACE_STARTS)}{rand.choice(PLACE_ENDS)}", taken
            )
            ocd_id = f"{COUNTRY_OCD_ID}/state:s{number + 1}"
            self.states.append(add(name, JurisdictionKind.STATE, self.country, ocd_id, f"{SLUG_PREFIX}{slugify(name)}"))
        state_number = {state: number + 1 for number, state in enumerate(self.states)}
        for number in range(self.sizes.jurisdictions - 1 - len(self.states)):
            state = rand.choice(self.states)
            name = f"{rand.choice(PLACE_STARTS)}{rand.choice(PLACE_ENDS)}"
            ocd_id = (
                f"{COUNTRY_OCD_ID}/state:s{state_number[state]}/place:{slugify(name).replace('-', '_')}_{number + 1}"
            )
            self.cities.append(
                add(name, JurisdictionKind.CITY, state, ocd_id, f"{SLUG_PREFIX}{slugify(name)}-{number + 1}")
            )

    def _organizations(self):
        table, rand = self.tables[Organization], self.random
        self.organization_names, self.organization_other_names, self.agencies, self.groups = {}, {}, [], []
        agencies = max(1, self.sizes.programs // 5)
        for number in range(self.sizes.organizations):
            if number < agencies:
                name = f"Office of {rand.choice(PROGRAM_ADJECTIVES)} {rand.choice(PROGRAM_NOUNS)} {number + 1}"
                kind, jurisdiction = OrganizationKind.GOVERNMENT_AGENCY, self.country
                description = "A federal agency that administers information-sharing programs."
            elif number % 2:
                city = rand.choice(self.cities or self.states)
                name = f"{self.jurisdiction_names[city]} Police Department {number + 1}"
                kind, jurisdiction, description = OrganizationKind.POLICE_DEPARTMENT, city, ""
            else:
                name = f"{rand.choice(PLACE_STARTS)} Coalition for Immigrant Rights {number + 1}"
                kind, jurisdiction = OrganizationKind.ADVOCACY_GROUP, None
                description = "An advocacy group that campaigns on immigration enforcement."
            acronym = "".join(word[0] for word in name.split() if word[0].isupper()) + str(number + 1)
            pk = table.add(
                slug=f"{SLUG_PREFIX}{slugify(name)}",
                name=name,
                kind=kind,
                description=description,
                jurisdiction_id=jurisdiction,
                search_text=words_of(name, acronym, "", description),
            )
            other_name = self._other_name("organization", pk, acronym)
            # "<name> (<acronym>) issued a statement.": the organization's citation and its other name's.
            sentence = f"{name} ({acronym}) issued a statement."
            self._mention(
                sentence, ("organization_id", pk, 0, name), ("other_name_id", other_name, len(name) + 2, acronym)
            )
            self.organization_names[pk] = name
            self.organization_other_names[pk] = [acronym]
            (self.agencies if number < agencies else self.groups).append(pk)

    def _officials(self):
        table, rand = self.tables[Official], self.random
        self.official_names, self.official_other_names = {}, {}
        self.officials_of = {}  # (holder kind, id) -> official ids
        places = self.states + self.cities
        for number in range(self.sizes.officials):
            first, last = rand.choice(FIRST_NAMES), rand.choice(LAST_NAMES)
            name = f"{first} {last}"
            pk = table.next_id
            if number % 10 == 9 and self.groups:
                organization, jurisdiction = rand.choice(self.groups), None
                role = f"Director of {self.organization_names[organization]}"
                self.officials_of.setdefault(("organization", organization), []).append(pk)
            else:
                jurisdiction, organization = rand.choice(places), None
                title = (
                    "Governor"
                    if jurisdiction in self.states and rand.random() < 0.3
                    else rand.choice(
                        ("Mayor", "Sheriff", "Police Commissioner", "Secretary of Public Safety", "Council Member")
                    )
                )
                role = f"{title} of {self.jurisdiction_names[jurisdiction]}"
                self.officials_of.setdefault(("jurisdiction", jurisdiction), []).append(pk)
            other_names = [f"{first[0]}. {last}"] if number % 2 else []
            table.add(
                slug=f"{SLUG_PREFIX}{slugify(name)}-{number + 1}",
                name=name,
                role=role,
                jurisdiction_id=jurisdiction,
                organization_id=organization,
                search_text=words_of(name, *other_names, role, ""),
            )
            identity = f"{name}, {role}"
            self._mention(f"{identity}, spoke to reporters.", ("official_id", pk, 0, identity))
            for other_name in other_names:
                self._mention(
                    f"{other_name} declined to comment on the program.",
                    ("other_name_id", self._other_name("official", pk, other_name), 0, other_name),
                )
            self.official_names[pk] = name
            self.official_other_names[pk] = other_names

    def _programs(self):
        table, facts, rand = self.tables[Program], self.tables[ProgramFact], self.random
        self.program_names = {}
        taken = {"Secure Communities"}  # the real program's name
        for number in range(self.sizes.programs):
            name = f"{rand.choice(PROGRAM_ADJECTIVES)} {rand.choice(PROGRAM_NOUNS)}"
            # The first twenty read like real names; past those a number keeps names unique.
            name = (
                self._unique_name(lambda: f"{rand.choice(PROGRAM_ADJECTIVES)} {rand.choice(PROGRAM_NOUNS)}", taken)
                if number < 20
                else f"{name} {number + 1}"
            )
            started_earliest, started_latest = interval_for(
                DatePrecision.MONTH, FIRST_DAY + datetime.timedelta(days=rand.randrange(365 * 3))
            )
            started_text = f"in {started_earliest:%B %Y}"
            description = (
                f"{name} is a federal program that shares the fingerprints of people booked into local jails "
                "with immigration authorities."
            )
            acronym = "".join(word[0] for word in name.split() if word[0].isalpha()).upper()
            agency = rand.choice(self.agencies)
            agency_name = self.organization_names[agency]
            statement = f"{name} started {started_text}."
            states = rand.randrange(10, 45)
            statement2 = f"{name} was active in {states} states."
            pk = table.add(
                slug=f"{SLUG_PREFIX}{slugify(name)}",
                name=name,
                agency_id=agency,
                description=description,
                started_earliest=started_earliest,
                started_latest=started_latest,
                started_precision=DatePrecision.MONTH,
                started_text=started_text,
                search_text=words_of(name, acronym, description, statement, statement2),
            )
            self.program_names[pk] = name
            other_name = self._other_name("program", pk, acronym)
            identity = f"{name} ({acronym}) is run by the {agency_name}"
            self._mention(
                f"{identity}.", ("program_id", pk, 0, identity), ("other_name_id", other_name, len(name) + 2, acronym)
            )
            started = facts.add(
                program_id=pk,
                slug=f"{SLUG_PREFIX}{slugify(name)}-started",
                kind=ProgramFactKind.STARTED,
                statement=statement,
                date_earliest=started_earliest,
                date_latest=started_latest,
                date_precision=DatePrecision.MONTH,
                date_text=started_text,
            )
            self._mention(statement, ("program_fact_id", started, 0, statement))
            coverage = facts.add(
                program_id=pk,
                slug=f"{SLUG_PREFIX}{slugify(name)}-coverage",
                kind=ProgramFactKind.COVERAGE,
                statement=statement2,
                value=states,
                value_qualifier="exactly",
                unit="states",
            )
            # The agency asserts the figure: a voice of the fact, cited.
            voice = self.tables[Voice].add(program_fact_id=coverage, rank=0, organization_id=agency)
            figure, attribution = statement2[:-1], f"according to the {agency_name}"
            self._mention(
                f"{figure}, {attribution}.",
                ("program_fact_id", coverage, 0, figure),
                ("voice_id", voice, len(figure) + 2, attribution),
            )

    def _mention(self, text, *cites):
        """A sentence some source carries, whatever its date: an identity, another name, a program fact."""
        self.mentions.append(Sentence(text, ascii_words(text), list(cites)))

    def _interval(self, day):
        """A date interval around `day`, of a random precision: (earliest, latest, precision, the source's words)."""
        rand = self.random
        precision = rand.choices(PRECISIONS, cum_weights=PRECISION_CUMULATIVE_WEIGHTS)[0]
        if precision == DatePrecision.DAY:
            return day, day, precision, f"on {long_date(day)}"
        if precision == DatePrecision.RANGE:
            part, first, last = rand.choice(PARTS_OF_MONTH)
            earliest = day.replace(day=first)
            latest = interval_for(DatePrecision.MONTH, day)[1] if last is None else day.replace(day=last)
            return earliest, latest, precision, f"in {part} {MONTHS[day.month]} {day.year}"
        earliest, latest = interval_for(precision, day)
        if precision == DatePrecision.WEEK:
            return earliest, latest, precision, f"in the week of {long_date(earliest)}"
        if precision == DatePrecision.MONTH:
            return earliest, latest, precision, f"in {MONTHS[day.month]} {day.year}"
        return earliest, latest, precision, f"in {day.year}"

    def _positions(self):
        """Chains of events: a holder's stances on one program over the years, a few each."""
        table, rand = self.tables[Position], self.random
        programs = list(self.program_names)
        places = self.states + self.cities
        first_official, last_official = min(self.official_names), max(self.official_names)
        self.position_words = {}  # position id -> (words before its quotes, words after them)
        self.position_quotes = defaultdict(list)  # position id -> (source slug, start, citation id, words)
        # Some places take many stances, most a few.
        cumulative, total = [], 0.0
        for rank in range(len(places)):
            total += 1 + 30 / (rank + 1)
            cumulative.append(total)
        while len(table.rows) < self.sizes.positions:
            kind = rand.random()
            if kind < 0.85:
                holder = ("jurisdiction", rand.choices(places, cum_weights=cumulative)[0])
            elif kind < 0.95:
                holder = ("organization", rand.choice(self.groups or self.agencies))
            else:
                holder = ("official", rand.randint(first_official, last_official))
            program = rand.choice(programs)
            day = FIRST_DAY + datetime.timedelta(days=rand.randrange(DAYS))
            stance = None
            for _ in range(rand.randint(1, 7)):
                left = self.sizes.positions - len(table.rows)
                if left < 1 or day > LAST_DAY:
                    break
                stance = rand.choice(NEXT_STANCES[stance])
                reported = rand.random() < REPORTED_SHARE
                first, latest, sources = self._position(holder, program, stance, day, reported=reported)
                if left >= 2 and rand.random() < SECOND_VERSION_SHARE:
                    self._second_version(holder, program, stance, day, first, latest, sources)
                day += datetime.timedelta(days=rand.randint(20, 900))

    def _second_version(self, holder, program, stance, day, first, latest, sources):
        """Another source's telling of the same event: the first version's event gets a second
        version, reported undated a little later, or dated differently."""
        rand = self.random
        number = len(self.tables[Event].rows) + 1
        event = self.tables[Event].add(
            slug=f"{SLUG_PREFIX}event-{number}",
            program_id=program,
            summary=f"{self._holder_name(holder)} changed course on {self.program_names[program]}.",
            note="Two sources tell it differently.",
        )
        self.tables[Position].set(first, event_id=event)
        if rand.random() < 0.5:
            self._position(
                holder,
                program,
                OTHER_TELLING[stance],
                latest + datetime.timedelta(days=rand.randint(0, 20)),
                reported=True,
                event=event,
                avoid=sources,
            )
        else:
            self._position(holder, program, OTHER_TELLING[stance], day, event=event, avoid=sources)

    def _holder_name(self, holder):
        kind, holder_id = holder
        names = {
            "jurisdiction": self.jurisdiction_names,
            "organization": self.organization_names,
            "official": self.official_names,
        }
        return names[kind][holder_id]

    def _two_sources(self, avoid):
        count, rand = self.sizes.sources, self.random
        while True:
            first = rand.randrange(count)
            second = (first + 1 + rand.randrange(count - 1)) % count
            if first not in avoid and second not in avoid:
                return first, second

    def _position(self, holder, program, stance, day, reported=False, event=None, avoid=()):
        """One position, its voice and reason, and the sentences of the two sources that quote it:
        return (its id, its latest day, the numbers of those sources)."""
        table, rand = self.tables[Position], self.random
        kind, holder_id = holder
        jurisdiction = holder_id if kind == "jurisdiction" else None
        organization = holder_id if kind == "organization" else None
        official = holder_id if kind == "official" else None
        holder_key = (Holder(None, None, official) if official else Holder(jurisdiction, organization, None)).key
        if reported:
            earliest, latest, precision, date_text = day, day, DatePrecision.DAY, ""
        else:
            earliest, latest, precision, date_text = self._interval(day)
        voice_official = None
        if official is None and rand.random() < VOICE_SHARE:
            candidates = self.officials_of.get(holder)
            voice_official = rand.choice(candidates) if candidates else None
        holder_name = self._holder_name(holder)
        program_name = self.program_names[program]
        phrase = STANCE_PHRASES[stance]
        when = f" {date_text}" if date_text else ""
        summary = f"{holder_name} {phrase} {program_name}{when}."
        speaker = (
            self.official_names[voice_official]
            if voice_official
            else "a statement"
            if official
            else f"a spokesperson for {holder_name}"
        )
        said = f"{speaker} said" if not official else "according to a statement"
        lead = f"{holder_name} {phrase} {program_name}{when}"
        quotes = (
            f"{lead}, {said}.",
            f"According to {speaker}, {holder_name} {phrase} the {program_name} program{when}.",
        )
        note = REPORTED_NOTE if reported else ""
        number = len(table.rows) + 1
        pk = table.add(
            slug=f"{SLUG_PREFIX}{slugify(holder_name)[:60].rstrip('-')}-{stance.replace('_', '-')}-{earliest:%Y-%m-%d}-{number}",
            program_id=program,
            event_id=event,
            official_id=official,
            jurisdiction_id=jurisdiction,
            organization_id=organization,
            stance=stance,
            date_earliest=earliest,
            date_latest=latest,
            date_precision=precision,
            date_basis=DateBasis.REPORTED if reported else DateBasis.STATED,
            date_text=date_text,
            summary=summary,
            note=note,
            holder_key=holder_key,
        )
        first, second = self._two_sources(avoid)
        sentences_a = [Sentence(quotes[0], ascii_words(quotes[0]), [("position_id", pk, 0, quotes[0])])]
        after = []  # search_text_of lists reasons' summaries, then voices' names, after the quotes
        if rand.random() < REASON_SHARE:
            topic = rand.choice(list(REASON_PHRASES))
            quote = f"the program {REASON_PHRASES[topic]}"
            reason_summary = f"The program {REASON_PHRASES[topic]}."
            reason = self.tables[Reason].add(position_id=pk, rank=0, topic=topic, summary=reason_summary)
            sentence = f"{holder_name} said {quote}."
            sentences_a.append(
                Sentence(sentence, ascii_words(sentence), [("reason_id", reason, len(holder_name) + 6, quote)])
            )
            after.append(ascii_words(reason_summary))
        if voice_official:
            voice = self.tables[Voice].add(position_id=pk, rank=0, official_id=voice_official)
            sentences_a[0].cites.append(("voice_id", voice, len(lead) + 2, said))
            after.append(ascii_words(" ".join([speaker, *self.official_other_names[voice_official]])))
        self.reported[first].append((latest, sentences_a))
        self.reported[second].append(
            (latest, [Sentence(quotes[1], ascii_words(quotes[1]), [("position_id", pk, 0, quotes[1])])])
        )
        names = []
        if official:
            names += [self.official_names[official], *self.official_other_names[official]]
        if organization:
            names += [self.organization_names[organization], *self.organization_other_names[organization]]
        before = words_of(
            summary, date_text, note, *names, self.jurisdiction_names[jurisdiction] if jurisdiction else ""
        )
        self.position_words[pk] = (before, joined(*after))
        return pk, latest, (first, second)

    def _in_force(self):
        """The as_of days of every position, per holder and program, by the rule refresh_in_force() applies."""
        table = self.tables[Position]
        column = table.column_of
        pk, program, holder, event, earliest, latest = (
            column[name] for name in ("id", "program_id", "holder_key", "event_id", "date_earliest", "date_latest")
        )
        groups = defaultdict(list)
        for row in table.rows:
            groups[row[program], row[holder]].append(
                {"pk": row[pk], "event_id": row[event], "date_earliest": row[earliest], "date_latest": row[latest]}
            )
        first_id = table.rows[0][column["id"]] if table.rows else 0
        days_columns = [column[name] for name in ("in_force_from", "certain_from", "contested_from", "in_force_until")]
        for rows in groups.values():
            for position, days in in_force_days(rows).items():
                row = table.rows[position - first_id]
                for index, day in zip(days_columns, days, strict=True):
                    row[index] = day

    def _sources(self):
        """The sources: each carries what it reports in date order among filler sentences, some
        mentions, and (some) reader comments after the publisher's text; about one in ten is
        derived from an earlier source."""
        rand = self.random
        sources, citations, parts = self.tables[Source], self.tables[Citation], self.tables[SourcePart]
        count = self.sizes.sources
        first_id = sources.next_id
        for items in self.reported:
            items.sort(key=lambda item: item[0])
        published = [
            (items[-1][0] if items else FIRST_DAY) + datetime.timedelta(days=rand.randint(0, 6))
            for items in self.reported
        ]
        # Sources take ids in order of publication, and a source is derived from one published before
        # it: lineages have no cycles, and every source is written after its origin (SQLite checks
        # a deferred foreign key by scanning the table for each row written while one is pending).
        by_date = sorted(range(count), key=lambda number: (published[number], number))
        id_of = {number: first_id + index for index, number in enumerate(by_date)}
        derived_from, lineage_root = {}, {}
        for index, number in enumerate(by_date):
            lineage_root[number] = number
            if index and rand.random() < DERIVED_SOURCE_SHARE:
                origin = by_date[rand.randrange(index)]
                derived_from[number] = origin
                lineage_root[number] = lineage_root[origin]
        for number in by_date:
            items = self.reported[number]
            dateline = long_date(published[number])
            publisher = rand.choice(PUBLISHERS)
            authors = [f"{rand.choice(FIRST_NAMES)} {rand.choice(LAST_NAMES)}"]
            title = items[0][1][0].text.split(",")[0].removeprefix("According to ")[:200] if items else "Program news"
            source_id, source_slug = id_of[number], f"{SLUG_PREFIX}source-{number + 1}"
            text = Text(ascii_words(f"{title} {publisher} {authors[0]}"))
            text.add(f"{dateline}.", ascii_words(dateline))
            for sentence in self._sentences_of(number, items):
                start = text.add(sentence.text, sentence.words)
                for field, owner, offset, quote in sentence.cites:
                    citation = citations.add(
                        source_id=source_id,
                        quote=quote,
                        start=start + offset,
                        end=start + offset + len(quote),
                        **{field: owner},
                    )
                    if field == "position_id":
                        # search_text_of lists a position's quotes in citation order: by source slug, then offset.
                        self.position_quotes[owner].append((source_slug, start, citation, sentence.words))
            filler = rand.choice(FILLER_SENTENCES)
            text.add(filler, self._filler_words[filler], separator="")
            if rand.random() < COMMENTED_SOURCE_SHARE:
                # Reader comments close the document: a part that is not the publisher's, never cited.
                comments = [
                    f"{rand.choice(FIRST_NAMES)}{rand.randrange(10, 99)}: {rand.choice(READER_COMMENTS)}"
                    for _ in range(rand.randint(1, 4))
                ]
                text.add("", "", separator="\n\n")
                start = text.add("\n".join(["Comments", *comments]), ascii_words(" ".join(["Comments", *comments])), "")
                parts.add(
                    source_id=source_id,
                    kind=SourcePartKind.READER_COMMENTS,
                    start=start,
                    end=text.length,
                    author="readers",
                )
            origin = derived_from.get(number)
            sources.add(
                slug=source_slug,
                title=title,
                publisher=publisher,
                authors=authors,
                kind=rand.choice(SourceKind.values),
                published_earliest=published[number],
                published_latest=published[number],
                published_precision=DatePrecision.DAY,
                published_text=dateline,
                derived_from_id=None if origin is None else id_of[origin],
                derivation="" if origin is None else rand.choice(Derivation.values),
                lineage_root_id=id_of[lineage_root[number]],
                file_name=f"{FILE_PREFIX}source-{number + 1}.txt",
                text="".join(text.parts),
                search_text=joined(*text.words),
            )

    def _sentences_of(self, number, items):
        """The sentences of source `number`: each item it reports after a filler sentence, then its mentions."""
        for _, sentences in items:
            filler = self.random.choice(FILLER_SENTENCES)
            yield Sentence(filler, self._filler_words[filler], [])
            yield from sentences
        yield from self.mentions[number :: self.sizes.sources]

    def _finish_position_search_text(self):
        table = self.tables[Position]
        id_column, text_column = table.column_of["id"], table.column_of["search_text"]
        for row in table.rows:
            pk = row[id_column]
            before, after = self.position_words[pk]
            quotes = [words for *_, words in sorted(self.position_quotes[pk])]
            row[text_column] = joined(before, *quotes, after)


# --- Writing -----------------------------------------------------------------------------------


def generate(positions=DEFAULT_POSITIONS, seed=DEFAULT_SEED, using="default", progress=None):
    """Replace the synthetic knowledge base by one of `positions` positions; return rows per model.

    `progress(rows)` is called as rows are written (for a progress bar; `expected_rows()` tells
    about how many there will be).
    """
    sizes = Sizes(positions)
    connection = connections[using]
    with transaction.atomic(using=using), _no_cyclic_garbage_collection():
        with _bulk_writing(connection):
            _delete(using)
            tables = Generator(sizes, seed, using).build()
            for table in tables.values():
                _write(connection, table, progress)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), list(tables)):
                    cursor.execute(statement)
        _finish(using)
    return {model.__name__: len(table.rows) for model, table in sorted(tables.items(), key=lambda i: i[0].__name__)}


@contextmanager
def _bulk_writing(connection, deleting_only=False):
    """For a bulk delete and write: the big tables' secondary indexes (and on PostgreSQL every
    foreign key of the knowledge base) go for the block and come back after it."""
    big_tables = [Position, Voice, Reason, OtherName, Citation]
    if connection.vendor == "postgresql":
        # A deleted row's index entries are left to vacuum there, and an index built again in the
        # transaction that deleted rows indexes them too (a rollback would bring them back): a
        # removal keeps the indexes.
        big_tables = [] if deleting_only else [*big_tables, Source]
    # SQLite keeps Source's: a source deleted is looked for among the sources derived from it, by index.
    with _foreign_keys_checked_after(connection), _indexes_built_after(connection, big_tables):
        yield


@contextmanager
def _no_cyclic_garbage_collection():
    """The generator builds millions of rows (lists) and no reference cycles: the cyclic garbage
    collector would traverse all of them again and again, for half the time of the build."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _foreign_keys_checked_after(connection):
    """On PostgreSQL, drop the foreign keys of the knowledge base's tables for the block and add
    them again after, each checked over its whole table by one query.

    A foreign key otherwise checks each row written or deleted by a query of its own, at commit:
    millions of them here. Adding it back checks every row, so the database still refuses a row
    that points nowhere, whichever way it came in. Elsewhere (SQLite checks a key inline, and
    cannot drop one) the block runs with the keys in place.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in registry.record_models()]
    with connection.cursor() as cursor:
        # Checks still pending from earlier in the transaction run now: a table with pending checks cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conrelid::regclass::text, conname",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares them, for the rest of the transaction


@contextmanager
def _indexes_built_after(connection, models):
    """Drop the big tables' secondary indexes for the block and build them again after.

    Building an index once, from sorted rows, is several times faster than updating it row by row
    (PostgreSQL's full-text GIN indexes above all). The tables stay locked until the transaction
    commits: readers wait for the generation to finish. Indexes that back a constraint (a unique
    slug) stay.
    """
    tables = [model._meta.db_table for model in models]
    if not tables:
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [tables],
            )
            indexes = cursor.fetchall()
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        elif connection.vendor == "sqlite":
            # Those with SQL of their own: the others are the tables' unique constraints.
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({', '.join(['%s'] * len(tables))})",
                tables,
            )
            indexes = cursor.fetchall()
        else:
            indexes = []
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)


def expected_rows(positions):
    """About how many rows generate() writes, for a progress bar's total."""
    sizes = Sizes(positions)
    voiced = 0.95 * VOICE_SHARE
    per_position = 1 + 2 + (voiced + REASON_SHARE) * 2 + SECOND_VERSION_SHARE
    return round(
        sizes.positions * per_position
        + sizes.sources * (1 + COMMENTED_SOURCE_SHARE)
        + sizes.jurisdictions
        + sizes.organizations * 4
        + sizes.officials * 3
        + sizes.programs * 10
    )


def _write(connection, table, progress):
    if not table.rows:
        return
    model = table.model
    columns = [field.column for field in table.fields]
    json_columns = [i for i, field in enumerate(table.fields) if field.get_internal_type() == "JSONField"]
    rows = table.rows
    if json_columns:
        rows = [row.copy() for row in rows]
        for row in rows:
            for i in json_columns:
                row[i] = json.dumps(row[i])
    batch = 5000
    if connection.vendor == "postgresql":
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY is an order of magnitude faster than INSERT
            with raw.copy(f"COPY {model._meta.db_table} ({quoted}) FROM STDIN") as copy:
                for number, row in enumerate(rows, 1):
                    copy.write_row(row)
                    if progress and number % batch == 0:
                        progress(batch)
        if progress:
            progress(len(rows) % batch)
        return
    # Dates and decimals go in as Django's SQLite backend adapts them (ISO days, decimal strings).
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, rows[start : start + batch])
            if progress:
                progress(len(rows[start : start + batch]))
