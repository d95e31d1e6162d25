"""What each kind of record contributes to search, declared once: `KINDS`.

A `SearchKind` says which of the model's own columns are searched (`document`), which rank a
match first (`head`: a name, a title, a summary), and, for a model with a `search_text` column
(kb.models.Searchable), the parts that column gathers from the record and from related records
(`gather`), and which changes to which models change it (`gathered_from`). kb.search.signals
connects the receivers that keep `search_text` current from these declarations, and
kb.search.index creates each kind's full-text indexes (and their triggers) from them.

To make a new kind searchable, add a SearchKind here (the lead's registry can hold these):
the next `migrate` creates its indexes.
"""

from dataclasses import dataclass, field

from kb.models import (
    Citation,
    Jurisdiction,
    Official,
    Organization,
    OtherName,
    Position,
    Program,
    ProgramFact,
    Reason,
    Source,
    Voice,
)


@dataclass(frozen=True, eq=False)  # compared and hashed as itself: one per kind
class SearchKind:
    """One kind of record, as search sees it.

    - `name`: the hit's `type` in the API;
    - `document`: the model's own columns (attnames) whose text is searched, in order;
    - `head`: the columns among them whose matches rank first; short, as they are read whole;
    - `gather`: record -> the parts of its `search_text`, for models with that column;
    - `gathered_from`: {model: {field of this kind: attribute of a changed record of that model}}:
      a save or delete of such a record refreshes the records of this kind whose field equals
      the attribute (e.g. a citation refreshes the position whose `pk` is its `position_id`); the
      field may be a lookup across a relation (`voices__official_id`: the positions a renamed
      official voices);
    - `names`: its `name` and `other_names` are names (recognized, typo-tolerant, suggested);
    - `person`: a person, whose distinctive surname names them alone;
    - `title`: the column giving a hit's title; `url`: how a hit links to the API
      ("self": its own detail URL; otherwise the field of the record it belongs to, whose URL it takes);
    - `passage`: on PostgreSQL, the columns a passage is cut from when the head does not match
      (default: the document); SQLite cuts it from the indexed document;
    - `words`: a column that already holds the document's words (kb.search.text.words_of, in the
      same order), which PostgreSQL indexes instead of splitting the document with
      kb_search_words() (a source's `search_text`: splitting its whole text costs seconds at scale).
    """

    name: str
    model: type
    document: tuple
    head: tuple = ()
    gather: object = None
    gathered_from: dict = field(default_factory=dict)
    names: bool = False
    person: bool = False
    title: str = "name"
    url: str = "self"
    passage: tuple = ()
    words: str = ""

    @property
    def table(self):
        return self.model._meta.db_table

    @property
    def passage_columns(self):
        return self.passage or self.document

    @property
    def words_columns(self):
        """The columns PostgreSQL's index reads: the document, or the column holding its words."""
        return (self.words,) if self.words else self.document


def _names(named):
    if named is None:
        return []
    return [named.name, *named.other_names.values_list("name", flat=True)]


def _source_parts(source):
    return [source.title, source.publisher, *source.authors, source.text]


def _actor_parts(actor):
    return [*_names(actor), getattr(actor, "role", ""), getattr(actor, "description", "")]


def _program_parts(program):
    return [*_names(program), program.description, *program.facts.values_list("statement", flat=True)]


def _position_parts(position):
    return [
        position.summary,
        position.date_text,
        position.note,
        *_names(position.official),
        *_names(position.organization),
        position.jurisdiction.name if position.jurisdiction else "",
        *position.citations.values_list("quote", flat=True),
        # Who voiced it and why: "who cited racial profiling?" finds the positions that did.
        *position.reasons.values_list("summary", flat=True),
        *(
            name
            for voice in position.voices.select_related("official", "organization")
            for name in _names(voice.speaker)
        ),
    ]


SEARCH_TEXT = ("search_text",)

# In the order hits of equal relevance are listed across kinds.
KINDS = {
    kind.name: kind
    for kind in [
        SearchKind(
            "official",
            Official,
            SEARCH_TEXT,
            head=("name",),
            gather=_actor_parts,
            gathered_from={OtherName: {"pk": "official_id"}},
            names=True,
            person=True,
        ),
        SearchKind(
            "organization",
            Organization,
            SEARCH_TEXT,
            head=("name",),
            gather=_actor_parts,
            gathered_from={OtherName: {"pk": "organization_id"}},
            names=True,
        ),
        SearchKind(
            "program",
            Program,
            SEARCH_TEXT,
            head=("name",),
            gather=_program_parts,
            gathered_from={OtherName: {"pk": "program_id"}, ProgramFact: {"pk": "program_id"}},
            names=True,
        ),
        SearchKind(
            "jurisdiction",
            Jurisdiction,
            SEARCH_TEXT,
            head=("name",),
            gather=lambda jurisdiction: [jurisdiction.name, jurisdiction.ocd_id],
            names=True,
        ),
        SearchKind(
            "position",
            Position,
            SEARCH_TEXT,
            head=("summary",),
            gather=_position_parts,
            gathered_from={
                Citation: {"pk": "position_id"},
                Reason: {"pk": "position_id"},
                Voice: {"pk": "position_id"},
                OtherName: {
                    "official_id": "official_id",
                    "organization_id": "organization_id",
                    "voices__official_id": "official_id",
                    "voices__organization_id": "organization_id",
                },
                Official: {"official_id": "pk", "voices__official_id": "pk"},
                Organization: {"organization_id": "pk", "voices__organization_id": "pk"},
                Jurisdiction: {"jurisdiction_id": "pk"},
            },
            title="summary",
        ),
        SearchKind(
            "fact",
            ProgramFact,
            ("statement", "unit", "date_text"),
            head=("statement",),
            title="statement",
            url="program",
        ),
        SearchKind(
            "source",
            Source,
            ("title", "publisher", "authors", "text"),
            head=("title",),
            gather=_source_parts,
            title="title",
            passage=("title", "text"),
            words="search_text",
        ),
        SearchKind("citation", Citation, ("quote",), title="quote", url="cited"),
    ]
}

BY_MODEL = {kind.model: kind for kind in KINDS.values()}
SEARCHABLE_MODELS = tuple(kind.model for kind in KINDS.values() if kind.gather is not None)
NAMED_KINDS = tuple(kind for kind in KINDS.values() if kind.names)


def kind_of(model):
    try:
        return BY_MODEL[model]
    except KeyError:
        raise TypeError(f"{model.__name__} is not searchable: declare it in kb.search.kinds.KINDS") from None
