"""A synthetic knowledge base at scale, for measuring: generated beside the real one, never mixed in.

Every synthetic record's slug starts with `synthetic-` and every synthetic source's file name
with `synthetic/`; synthetic records point only at synthetic records. So `remove()` can take
them all out with a few set-wise deletes and leave the real knowledge base exactly as it was.

Sizes scale from the number of positions (see `Sizes`). Rows are built in Python, search text
included (the same words kb.search.search_text_of would store), and written in bulk: COPY on
PostgreSQL, executemany elsewhere. Neither sends model signals, so neither the per-save search
refresh nor any history recording runs: both would cost minutes at this size.
"""

import datetime
import json
import random
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connections, transaction
from django.db.models import Q

from kb.models import (
    Citation,
    DateBasis,
    DatePrecision,
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
    Source,
    SourceKind,
    Stance,
)
from kb.search import WORD

SLUG_PREFIX = "synthetic-"
FILE_PREFIX = "synthetic/"
DEFAULT_POSITIONS = 200_000
DEFAULT_SEED = 2011
# The synthetic country's Open Civic Data id: "zz" is a private-use country code, never a real one.
COUNTRY_OCD_ID = "ocd-division/country:zz"


@dataclass(frozen=True)
class Sizes:
    """How many of each record: everything scales from the number of positions.

    At the default 200,000 positions: 50 programs, 5,000 jurisdictions (1 country, 50 states,
    cities), 500 organizations, 20,000 officials (half with another name), 20,000 sources and
    400,000 position citations, two per position.
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
        return max(3, self.positions // 10)


def synthetic(model):
    """The synthetic rows of a knowledge-base model."""
    if model is Source:
        return Source.objects.filter(file_name__startswith=FILE_PREFIX)
    if model is Citation:
        return Citation.objects.filter(source__file_name__startswith=FILE_PREFIX)
    if model is OtherName:
        return OtherName.objects.filter(
            Q(official__slug__startswith=SLUG_PREFIX)
            | Q(organization__slug__startswith=SLUG_PREFIX)
            | Q(program__slug__startswith=SLUG_PREFIX)
        )
    return model.objects.filter(slug__startswith=SLUG_PREFIX)


# Children first: every model is deleted before the models it points to.
MODELS_LEAVES_FIRST = [
    Citation,
    OtherName,
    Position,
    ProgramFact,
    Program,
    Official,
    Organization,
    Jurisdiction,
    Source,
]


def counts(using="default"):
    return {model.__name__: synthetic(model).using(using).count() for model in MODELS_LEAVES_FIRST}


def remove(using="default"):
    """Delete every synthetic row, set-wise; return {model name: rows deleted}."""
    deleted = {}
    with transaction.atomic(using=using):
        # Parents point at parents of the same table, which PROTECT would refuse to delete.
        synthetic(Jurisdiction).using(using).update(parent=None)
        synthetic(Organization).using(using).update(parent=None)
        for model in MODELS_LEAVES_FIRST:
            # A raw delete: no per-row signals (search refresh, history) and no cascade collection;
            # children went first, so nothing is left to cascade to.
            deleted[model.__name__] = synthetic(model).using(using)._raw_delete(using)
    return deleted


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


ASCII_SEPARATORS = str.maketrans({chr(code): " " for code in range(128) if not chr(code).isalnum()})


def words_of(*parts):
    """What kb.search stores as a record's search text, from its parts in search_text_of's order."""
    return " ".join(WORD.findall(" ".join(part for part in parts if part)))


def slugify(text):
    return "-".join(word.lower() for word in WORD.findall(text))


def long_date(day):
    return f"{day:%B} {day.day}, {day.year}"


# --- Generation --------------------------------------------------------------------------------


class Table:
    """Rows for one model, as tuples in its concrete fields' order, with ids following the table's."""

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
        self.rows.append(tuple(row))
        return pk


def _default(field):
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    return ""


class Generator:
    def __init__(self, sizes, seed, using):
        self.sizes = sizes
        self.random = random.Random(seed)
        self.using = using
        self.tables = {}
        self._sentence_words = {}
        for model in (
            Source,
            Jurisdiction,
            Organization,
            Official,
            Program,
            ProgramFact,
            Position,
            OtherName,
            Citation,
        ):
            last = model.objects.using(using).order_by("-pk").values_list("pk", flat=True).first() or 0
            self.tables[model] = Table(model, last + 1)

    def build(self):
        self._jurisdictions()
        self._organizations()
        self._officials()
        self._programs()
        self._positions()
        self._sources()
        return self.tables

    def _words(self, sentence):
        """words_of(sentence), computed once per sentence: the quotes are in a source and in a position."""
        words = self._sentence_words.get(sentence)
        if words is None:
            # The generated text is ASCII, where kb.search's words are the runs of letters and digits.
            words = self._sentence_words[sentence] = " ".join(sentence.translate(ASCII_SEPARATORS).split())
        return words

    def _unique_name(self, make, taken):
        while True:
            name = make()
            if name not in taken:
                taken.add(name)
                return name

    def _jurisdictions(self):
        table, rand = self.tables[Jurisdiction], self.random
        country_name = "Synthetic Federation"
        self.country = table.add(
            slug=f"{SLUG_PREFIX}federation",
            name=country_name,
            kind=JurisdictionKind.COUNTRY,
            ocd_id=COUNTRY_OCD_ID,
            search_text=words_of(country_name, COUNTRY_OCD_ID),
        )
        self.jurisdiction_names = {self.country: country_name}
        self.states, self.cities = [], []
        taken = set()
        for number in range(self.sizes.states):
            name = self._unique_name(
                lambda: f"{rand.choice(STATE_WORDS)} {rand.choice(PLACE_STARTS)}{rand.choice(PLACE_ENDS)}", taken
            )
            ocd_id = f"{COUNTRY_OCD_ID}/state:s{number + 1}"
            pk = table.add(
                slug=f"{SLUG_PREFIX}{slugify(name)}",
                name=name,
                kind=JurisdictionKind.STATE,
                parent_id=self.country,
                ocd_id=ocd_id,
                search_text=words_of(name, ocd_id),
            )
            self.states.append(pk)
            self.jurisdiction_names[pk] = name
        for number in range(self.sizes.jurisdictions - 1 - len(self.states)):
            state = rand.choice(self.states)
            name = f"{rand.choice(PLACE_STARTS)}{rand.choice(PLACE_ENDS)}"
            slug = f"{SLUG_PREFIX}{slugify(name)}-{number + 1}"
            ocd_id = f"{COUNTRY_OCD_ID}/state:s{self.states.index(state) + 1}/place:{slugify(name).replace('-', '_')}_{number + 1}"
            pk = table.add(
                slug=slug,
                name=name,
                kind=JurisdictionKind.CITY,
                parent_id=state,
                ocd_id=ocd_id,
                search_text=words_of(name, ocd_id),
            )
            self.cities.append(pk)
            self.jurisdiction_names[pk] = name

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
            self.tables[OtherName].add(name=acronym, organization_id=pk)
            self.organization_names[pk] = name
            self.organization_other_names[pk] = [acronym]
            (self.agencies if number < agencies else self.groups).append(pk)

    def _officials(self):
        table, rand = self.tables[Official], self.random
        self.official_names, self.official_other_names = {}, {}
        self.officials_of = {}  # jurisdiction or organization id -> official ids
        places = self.states + self.cities
        for number in range(self.sizes.officials):
            first, last = rand.choice(FIRST_NAMES), rand.choice(LAST_NAMES)
            name = f"{first} {last}"
            if number % 10 == 9 and self.groups:
                organization, jurisdiction = rand.choice(self.groups), None
                role = f"Director of {self.organization_names[organization]}"
                self.officials_of.setdefault(("organization", organization), []).append(table.next_id)
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
                self.officials_of.setdefault(("jurisdiction", jurisdiction), []).append(table.next_id)
            other_names = [f"{first[0]}. {last}"] if number % 2 else []
            pk = table.add(
                slug=f"{SLUG_PREFIX}{slugify(name)}-{number + 1}",
                name=name,
                role=role,
                jurisdiction_id=jurisdiction,
                organization_id=organization,
                search_text=words_of(name, *other_names, role, ""),
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
            started = FIRST_DAY + datetime.timedelta(days=rand.randrange(365 * 3))
            started = started.replace(day=1)
            description = (
                f"{name} is a federal program that shares the fingerprints of people booked into local jails "
                "with immigration authorities."
            )
            acronym = "".join(word[0] for word in name.split() if word[0].isalpha()).upper()
            statement = f"{name} started in {started:%B %Y}."
            statement2 = f"{name} was active in {rand.randrange(10, 45)} states."
            pk = table.add(
                slug=f"{SLUG_PREFIX}{slugify(name)}",
                name=name,
                agency_id=rand.choice(self.agencies),
                description=description,
                started_on=started,
                started_precision=DatePrecision.MONTH,
                search_text=words_of(name, acronym, description, statement, statement2),
            )
            self.program_names[pk] = name
            self.tables[OtherName].add(name=acronym, program_id=pk)
            facts.add(
                program_id=pk,
                slug=f"{SLUG_PREFIX}{slugify(name)}-started",
                kind=ProgramFactKind.STARTED,
                statement=statement,
                date=started,
                date_precision=DatePrecision.MONTH,
                date_text=f"in {started:%B %Y}",
            )
            facts.add(
                program_id=pk,
                slug=f"{SLUG_PREFIX}{slugify(name)}-coverage",
                kind=ProgramFactKind.COVERAGE,
                statement=statement2,
                value=int(statement2.split(" in ")[1].split()[0]),
                value_qualifier="exactly",
                unit="states",
            )

    def _positions(self):
        """Chains of positions: a holder's stances on one program over the years, a few each."""
        table, rand = self.tables[Position], self.random
        programs = list(self.program_names)
        places = self.states + self.cities
        self.quotes_of = []  # per position: (quote a, quote b)
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
                holder = ("official", rand.randrange(min(self.official_names), max(self.official_names) + 1))
            program = rand.choice(programs)
            day = FIRST_DAY + datetime.timedelta(days=rand.randrange(DAYS))
            stance = None
            for _ in range(min(rand.randint(1, 7), self.sizes.positions - len(table.rows))):
                stance = rand.choice(NEXT_STANCES[stance])
                self._position(holder, program, stance, day)
                day += datetime.timedelta(days=rand.randint(20, 900))
                if day > FIRST_DAY + datetime.timedelta(days=DAYS):
                    break

    def _position(self, holder, program, stance, day):
        table, rand = self.tables[Position], self.random
        kind, holder_id = holder
        official = None
        if kind == "official":
            official = holder_id
        elif rand.random() < 0.6:
            candidates = self.officials_of.get(holder)
            official = rand.choice(candidates) if candidates else None
        jurisdiction = holder_id if kind == "jurisdiction" else None
        organization = holder_id if kind == "organization" else None
        precision = rand.choices((DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR), (7, 2, 1))[0]
        if precision == DatePrecision.DAY:
            date, date_text = day, f"on {long_date(day)}"
        elif precision == DatePrecision.MONTH:
            date, date_text = day.replace(day=1), f"in {day:%B %Y}"
        else:
            date, date_text = day.replace(month=1, day=1), f"in {day.year}"
        program_name = self.program_names[program]
        holder_name = (
            self.jurisdiction_names[jurisdiction]
            if jurisdiction
            else self.organization_names[organization]
            if organization
            else self.official_names[official]
        )
        phrase = STANCE_PHRASES[stance]
        speaker = self.official_names[official] if official else f"a spokesperson for {holder_name}"
        summary = f"{holder_name} {phrase} {program_name} {date_text}."
        quotes = (
            f"{holder_name} {phrase} {program_name} {date_text}, {speaker} said.",
            f"According to {speaker}, {holder_name} {phrase} the {program_name} program {date_text}.",
        )
        note = "Reported without a date; dated by the article." if rand.random() < 0.1 else ""
        basis = DateBasis.REPORTED if note else DateBasis.STATED
        number = len(table.rows) + 1
        pk = table.add(
            slug=f"{SLUG_PREFIX}{slugify(holder_name)[:60].rstrip('-')}-{stance.replace('_', '-')}-{date:%Y-%m-%d}-{number}",
            program_id=program,
            official_id=official,
            jurisdiction_id=jurisdiction,
            organization_id=organization,
            stance=stance,
            date=date,
            date_precision=precision,
            date_basis=basis,
            date_text=date_text,
            summary=summary,
            note=note,
            # The quotes are appended once the sources are written (search_text_of lists them last).
            search_text=(summary, date_text, note, official, organization, jurisdiction),
        )
        self.quotes_of.append((pk, date, quotes))

    def _sources(self):
        """Sources that report the positions: each position is quoted by two different sources."""
        rand = self.random
        sources, citations = self.tables[Source], self.tables[Citation]
        count = self.sizes.sources
        reported = [[] for _ in range(count)]
        for _index, (position, date, quotes) in enumerate(self.quotes_of):
            first = rand.randrange(count)
            second = (first + 1 + rand.randrange(count - 1)) % count
            reported[first].append((position, date, quotes[0]))
            reported[second].append((position, date, quotes[1]))
        quotes_by_position = {}
        other_name_mentions = [
            (official, other_name) for official, names in self.official_other_names.items() for other_name in names
        ]
        for number, items in enumerate(reported):
            items.sort(key=lambda item: item[1])
            published = (items[-1][1] if items else FIRST_DAY) + datetime.timedelta(days=rand.randint(0, 6))
            dateline = long_date(published)
            publisher = rand.choice(PUBLISHERS)
            authors = [f"{rand.choice(FIRST_NAMES)} {rand.choice(LAST_NAMES)}"]
            title = items[0][2].split(",")[0].removeprefix("According to ") if items else "Program news"
            title = title[:200]
            parts = [f"{dateline}. "]
            length = len(parts[0])
            sentence_words = [self._words(dateline)]
            quoted = []  # (position or other name, owner field, start, quote)
            for position, _, quote in items:
                for sentence in (rand.choice(FILLER_SENTENCES), quote):
                    if sentence is quote:
                        quoted.append((position, "position_id", length, quote))
                    parts.append(sentence + " ")
                    sentence_words.append(self._words(sentence))
                    length += len(sentence) + 1
            # Every other name is quoted once, in some source.
            for official, other_name in other_name_mentions[number::count]:
                sentence = f"{other_name} declined to comment on the program."
                quoted.append((official, "other_name", length, other_name))
                parts.append(sentence + " ")
                sentence_words.append(self._words(sentence))
                length += len(sentence) + 1
            parts.append(rand.choice(FILLER_SENTENCES))
            sentence_words.append(self._words(parts[-1]))
            text = "".join(parts)
            source_slug = f"{SLUG_PREFIX}source-{number + 1}"
            source = sources.add(
                slug=source_slug,
                title=title,
                publisher=publisher,
                authors=authors,
                kind=rand.choice(SourceKind.values),
                published_on=published,
                published_precision=DatePrecision.DAY,
                published_quote=dateline,
                file_name=f"{FILE_PREFIX}source-{number + 1}.txt",
                text=text,
                # Sentences are separated by spaces, so the text's words are its sentences' words.
                search_text=" ".join([words_of(title, publisher, *authors), *sentence_words]),
            )
            for owner, field, start, quote in quoted:
                if field == "other_name":
                    owner = self.tables[OtherName].add(name=quote, official_id=owner)
                    field = "other_name_id"
                citations.add(source_id=source, quote=quote, start=start, end=start + len(quote), **{field: owner})
                if field == "position_id":
                    # search_text_of lists a position's quotes in citation order: by source slug, then offset.
                    quotes_by_position.setdefault(owner, []).append((source_slug, start, citations.next_id - 1, quote))
        self._finish_position_search_text(quotes_by_position)

    def _finish_position_search_text(self, quotes_by_position):
        table = self.tables[Position]
        index = table.names.index("search_text")
        for row_number, row in enumerate(table.rows):
            summary, date_text, note, official, organization, jurisdiction = row[index]
            names = []
            if official:
                names += [self.official_names[official], *self.official_other_names[official]]
            if organization:
                names += [self.organization_names[organization], *self.organization_other_names[organization]]
            quotes = [quote for *_, quote in sorted(quotes_by_position.get(row[0], ()))]
            text = " ".join(
                [
                    words_of(
                        summary, date_text, note, *names, self.jurisdiction_names[jurisdiction] if jurisdiction else ""
                    ),
                    *(self._words(quote) for quote in quotes),
                ]
            )
            table.rows[row_number] = row[:index] + (text,) + row[index + 1 :]


# --- Writing -----------------------------------------------------------------------------------


def generate(positions=DEFAULT_POSITIONS, seed=DEFAULT_SEED, using="default", progress=None):
    """Replace the synthetic knowledge base by one of `positions` positions; return rows per model.

    `progress(rows)` is called as rows are written (for a progress bar); `total_rows()` of the
    returned generator tells how many there will be.
    """
    sizes = Sizes(positions)
    with transaction.atomic(using=using):
        remove(using)
        tables = Generator(sizes, seed, using).build()
        connection = connections[using]
        with _indexes_rebuilt_after(connection, [Source, Official, Position, OtherName, Citation]):
            for model in (
                Source,
                Jurisdiction,
                Organization,
                Official,
                Program,
                ProgramFact,
                Position,
                OtherName,
                Citation,
            ):
                _write(connection, tables[model], progress)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), list(tables)):
                    cursor.execute(statement)
    if connections[using].vendor == "postgresql":
        # Fresh statistics, or the planner keeps believing the tables are small.
        with connections[using].cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in tables))
    return {model.__name__: len(table.rows) for model, table in tables.items()}


@contextmanager
def _indexes_rebuilt_after(connection, models):
    """On PostgreSQL, drop the big tables' secondary indexes for the block and build them again after.

    Building an index once is several times faster than updating it row by row (the full-text
    GIN indexes above all). The tables stay locked until the transaction commits: readers wait
    for the generation to finish.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit; an index cannot be built over rows with checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def expected_rows(positions):
    """About how many rows generate() writes, for a progress bar's total."""
    sizes = Sizes(positions)
    return (
        sizes.positions * 3
        + sizes.sources
        + sizes.jurisdictions
        + sizes.organizations
        + sizes.officials * 2
        + sizes.programs * 4
    )


def _write(connection, table, progress):
    if not table.rows:
        return
    model = table.model
    columns = [field.column for field in table.fields]
    json_columns = {i for i, field in enumerate(table.fields) if field.get_internal_type() == "JSONField"}
    batch = 5000
    if connection.vendor == "postgresql":
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY is an order of magnitude faster than INSERT
            with raw.copy(f"COPY {model._meta.db_table} ({quoted}) FROM STDIN") as copy:
                for number, row in enumerate(table.rows, 1):
                    if json_columns:
                        row = tuple(json.dumps(value) if i in json_columns else value for i, value in enumerate(row))
                    copy.write_row(row)
                    if progress and number % batch == 0:
                        progress(batch)
        if progress:
            progress(len(table.rows) % batch)
        return
    date_columns = {
        i for i, field in enumerate(table.fields) if field.get_internal_type() in ("DateField", "DecimalField")
    }
    converted = {*json_columns, *date_columns}
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(table.rows), batch):
            rows = table.rows[start : start + batch]
            if converted:
                rows = [
                    tuple(
                        _sqlite_value(value, i in json_columns) if i in converted and value is not None else value
                        for i, value in enumerate(row)
                    )
                    for row in rows
                ]
            cursor.executemany(sql, rows)
            if progress:
                progress(len(rows))


def _sqlite_value(value, is_json):
    return json.dumps(value) if is_json else str(value)
