"""A typed query, read (kb.search.syntax), widened with names (kb.search.names), and run on a kind's index.

`prepare()` reads a query for some kinds of record on one database:

1. a word that no record of those kinds contains, and no name either, is misspelt: it also
   matches the name words nearest to it ("Heffernen" matches "Heffernan");
2. a run of words that is a whole name or other name of someone ("Mary E. Heffernan") also
   matches every spelling that names that record alone: its name, its other names and, for a
   person, a surname no other record has ("Heffernan"). Quoted phrases are left exact.

`match()` is the condition that finds the records, `relevance()` their score, `passages()` the
highlighted text that shows why each matched. Relevance counts, for each term the query looks
for, 2 when it is in the record's head (a name, a title, a summary) and 1 when it is in its
document: the same integers on both databases, ordered the same.
"""

import html
import json
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from operator import or_

from django.db import connections
from django.db.models import BooleanField, Case, Expression, F, IntegerField, Value, When
from django.db.models.lookups import Exact
from django.db.models.sql.where import WhereNode

from kb.search import index, names, syntax
from kb.search.kinds import NAMED_KINDS
from kb.search.text import fold, folded_words

START_MARK, END_MARK = "\ue000", "\ue001"  # private-use characters: never in a document
PASSAGE_WORDS = 24
HEAD_WEIGHT, DOCUMENT_WEIGHT = 2, 1


@dataclass
class Prepared:
    """A query read for some kinds on one database, with what was added to it."""

    text: str
    query: syntax.Query
    using: str
    corrections: dict = field(default_factory=dict)  # typed word -> name words it also matches
    names: list = field(default_factory=list)  # (typed words, [(kind, pk)]) recognized as names
    book: object = None  # the names.NameBook it was read with

    @property
    def terms(self):
        return self.query.positive_terms()

    @property
    def max_score(self):
        return (HEAD_WEIGHT + DOCUMENT_WEIGHT) * len(self.terms)

    def score(self, points):
        """The relevance shown to clients: points over the most a record could get, 0 to 1."""
        return round(points / self.max_score, 4) if self.max_score else 0.0


# --- The name book -------------------------------------------------------------------------------


def name_book(using, token=None):
    """The name book of a database, loaded again if its names token changed (one query to ask, unless given)."""
    token = index.names_token(using) if token is None else token
    return names.books.get(using, token, lambda: _load_book(using))


def _load_book(using):
    from kb.models import OtherName

    book = names.NameBook()
    by_model = {kind.model: kind for kind in NAMED_KINDS}
    for kind in NAMED_KINDS:
        for pk, slug, name in kind.model._default_manager.using(using).values_list("pk", "slug", "name"):
            book.add(kind.name, pk, slug, name, main=True)
    owners = [
        field for field in OtherName._meta.concrete_fields if field.is_relation and field.related_model in by_model
    ]
    rows = OtherName._default_manager.using(using).values_list(*(owner.attname for owner in owners), "name")
    for *owner_ids, name in rows:
        for owner, owner_id in zip(owners, owner_ids, strict=True):
            if owner_id is not None:
                book.add(by_model[owner.related_model].name, owner_id, None, name)
    return book.finish({kind.name for kind in NAMED_KINDS if kind.person})


# --- Reading a query -----------------------------------------------------------------------------


def prepare(text, kinds, using):
    query = syntax.parse(text)
    prepared = Prepared(text, query, using)
    if not query:
        return prepared
    # One query asks both whether names changed and which words the kinds' records have. A name
    # word is never misspelt, so the words the book already knows are not asked about (if the
    # names changed since, those the new book no longer knows are asked about after).
    words = sorted({word for clause in query.clauses() if (word := _fuzzy_candidate(clause))})
    previous = names.books.peek(using)
    asked = [word for word in words if previous is None or not previous.knows(word)]
    token, known = _token_and_known(asked, kinds, using)
    prepared.book = book = name_book(using, token)
    present = dict(zip(asked, known, strict=True))
    late = [word for word in words if word not in present and not book.knows(word)]
    if late:
        present.update(zip(late, _token_and_known(late, kinds, using)[1], strict=True))
    unknown = {word for word, found in present.items() if not found and not book.knows(word)}
    if unknown:
        _correct_misspellings(prepared, book, unknown)
    _widen_names(prepared, book)
    return prepared


def _fuzzy_candidate(clause):
    """The word of a clause that could be a misspelt name: typed alone, unquoted, letters only, 4 or more."""
    term = clause.term
    if clause.negated or term.exact or len(term.typed) != 1 or syntax.is_prefix(term.typed[0]):
        return None
    folded = fold(term.typed[0])
    if len(folded) < names.MIN_FUZZY_LENGTH or not folded.isalpha():
        return None
    return term.typed[0]


def _correct_misspellings(prepared, book, unknown):
    replacements = {}
    for clause in prepared.query.clauses():
        word = _fuzzy_candidate(clause)
        if word in unknown:
            corrected = book.corrections(word)
            if corrected:
                prepared.corrections[word] = [book.spelling[candidate] for candidate in corrected]
                replacements[clause.term] = clause.term.with_options(((candidate,),) for candidate in corrected)
    prepared.query = prepared.query.replace_terms(replacements)


def _token_and_known(words, kinds, using):
    """The names token, and for each word whether any record of these kinds has it (stemmed)."""
    connection = connections[using]
    columns, params = [f"(SELECT names_token FROM {index.STATE_TABLE} WHERE id = 1)"], []
    for word in words:
        probes = []
        for kind in kinds:
            if connection.vendor == "postgresql":
                probes.append(
                    f'EXISTS (SELECT 1 FROM "{kind.table}" WHERE "{index.postgresql_column(kind, index.STEM_CONFIG)}" '
                    f"@@ to_tsquery('{index.STEM_CONFIG}'::regconfig, %s))"
                )
                params.append(syntax.term_tsquery(syntax.Term.of_words([word])))
            else:
                table = index.stem_table(kind)
                probes.append(f"EXISTS (SELECT 1 FROM {table} WHERE {table} MATCH %s)")
                params.append(syntax.to_match([syntax.Clause(syntax.Term.of_words([word]))], "document"))
        columns.append("(" + " OR ".join(probes) + ")")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns), params)
        token, *known = cursor.fetchone()
    return token, [bool(value) for value in known]


def _eligible(clause):
    return not clause.negated and not clause.term.exact and not any(map(syntax.is_prefix, clause.term.typed))


def _word_options(clause):
    """Each word position of a clause, with the folded words it may be (a misspelt word: its corrections too)."""
    term = clause.term
    if len(term.typed) == 1:
        return [{fold(option[0][0]) for option in term.options if len(option) == 1 and len(option[0]) == 1}]
    return [{fold(word)} for word in term.typed]


def _widen_names(prepared, book):
    groups = []
    for group in prepared.query.groups:
        clauses, widened, start = list(group), [], 0
        while start < len(clauses):
            found = None
            if _eligible(clauses[start]):
                end = start
                while end + 1 < len(clauses) and _eligible(clauses[end + 1]):
                    end += 1
                for last in range(end, start - 1, -1):  # the longest name first
                    options = [option for clause in clauses[start : last + 1] for option in _word_options(clause)]
                    owners = book.recognize(options)
                    if owners:
                        found = (last, owners)
                        break
            if found is None:
                widened.append(clauses[start])
                start += 1
                continue
            last, owners = found
            run = clauses[start : last + 1]
            base = run[0].term if len(run) == 1 else syntax.Term((tuple(clause.term.typed for clause in run),))
            forms = [(form,) for key in sorted(owners) for form in book.distinctive_forms(key)]
            term = base.with_options(forms)
            if term.options != base.options:
                prepared.names.append(([word for clause in run for word in clause.term.typed], sorted(owners)))
                widened.append(syntax.Clause(term))
            else:
                widened.extend(run)
            start = last + 1
        groups.append(tuple(widened))
    prepared.query = syntax.Query(tuple(groups))


# --- Conditions ----------------------------------------------------------------------------------


class FtsMatch(Expression):
    """SQLite: the record is (or is not) among those an FTS5 table's MATCH finds.

    `phrases`, for clauses of exact words and phrases only, over a kind whose document is one
    column (`column`): [[phrase, ...], ...], any option with all its phrases, each a tuple of
    folded words. Walking, they are tested on each row's text (PHRASES_FUNCTION) instead: FTS5
    would find every match first, 6 ms for a phrase in a tenth of 200,000 positions."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, table, match, negated=False, phrases=None, column=None):
        super().__init__(output_field=BooleanField())
        self.table, self.match, self.negated = table, match, negated
        self.phrases = phrases if phrases and column and not negated else None
        self.references = [F("pk"), *([F(column)] if self.phrases else [])]

    def get_source_expressions(self):
        return self.references

    def set_source_expressions(self, expressions):
        self.references = list(expressions)

    def as_sql(self, compiler, connection):
        pk, params = compiler.compile(self.references[0])
        walking = _walking.get() and not self.negated
        if walking and self.phrases:
            text, text_params = compiler.compile(self.references[1])
            return f"{PHRASES_FUNCTION}({text}, %s)", [*text_params, json.dumps(self.phrases)]
        operator = "NOT IN" if self.negated else "IN"
        # Walking, `+pk`: the key no longer drives the query, so SQLite reads the order's index
        # and looks each row's key up among the matches.
        key = f"+{pk}" if walking else pk
        return f"{key} {operator} (SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s)", [*params, self.match]


PHRASES_FUNCTION = "kb_search_phrases"


@lru_cache(maxsize=64)
def _read_phrases(spec):
    return [[" " + " ".join(phrase) + " " for phrase in option] for option in json.loads(spec)]


def text_has_phrases(text, spec):
    """SQLite's PHRASES_FUNCTION: whether the words of `text` (a search_text: words and single
    spaces) hold, in order, all the phrases of one of the options of `spec` (FtsMatch.phrases)."""
    if text is None:
        return 0
    words = f" {text.lower() if text.isascii() else ' '.join(folded_words(text))} "
    return int(any(all(phrase in words for phrase in option) for option in _read_phrases(spec)))


def register_phrases_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(PHRASES_FUNCTION, 2, text_has_phrases, deterministic=True)


def _exact_phrases(clauses):
    """FtsMatch.phrases of exact clauses, or None when one is negated or looks for a prefix."""
    if any(clause.negated for clause in clauses):
        return None
    options = [clause.term.options for clause in clauses]
    if any(syntax.is_prefix(word) for term in options for option in term for phrase in option for word in phrase):
        return None
    # All clauses hold: each clause's options, one of which holds, combined.
    combined = [[]]
    for term in options:
        combined = [
            done + [tuple(fold(word) for word in phrase) for phrase in option] for done in combined for option in term
        ]
        if len(combined) > 16:
            return None
    return combined


_walking = ContextVar("kb_search_walking", default=False)


@contextmanager
def walking(walk=True):
    """The SQL compiled in this block has the database read a page by walking its order's index and
    testing each row, not by sorting the full-text index's matches (kb.search.page_plan)."""
    token = _walking.set(walk)
    try:
        yield
    finally:
        _walking.reset(token)


def only_fts_match(where):
    """The FtsMatch that is a query's whole condition (a search and no other filter), or None."""
    node = where
    while isinstance(node, WhereNode):  # filter(condition) nests it, as `condition = True`
        if node.negated or len(node.children) != 1:
            return None
        (node,) = node.children
    if isinstance(node, Exact) and node.rhs is True:
        node = node.lhs
    return node if isinstance(node, FtsMatch) and not node.negated else None


class TsMatch(Expression):
    """PostgreSQL: the kind's text matches a tsquery, in a configuration: its document, by the stored
    vector its GIN index is built on (kb.search.index.postgresql_column), or other columns (its head)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, kind, config, tsquery, columns=None, index_tsquery=None):
        super().__init__(output_field=BooleanField())
        self.kind, self.config, self.tsquery = kind, config, tsquery
        self.index_tsquery = index_tsquery  # what the GIN index is asked instead (syntax.to_index_tsquery)
        self.columns = tuple(columns) if columns is not None else None
        self.references = [F("pk"), *(F(name) for name in self.columns or ())]

    def get_source_expressions(self):
        return self.references

    def set_source_expressions(self, expressions):
        self.references = list(expressions)

    def as_sql(self, compiler, connection):
        pk, *compiled = (compiler.compile(reference)[0] for reference in self.references)
        query = f"to_tsquery('{self.config}'::regconfig, %s)"
        if self.columns is None:
            table = pk.rsplit(".", 1)[0]  # the query's name for the kind's table: "kb_position", or an alias
            vector = f'{table}."{index.postgresql_column(self.kind, self.config)}"'
            # COALESCE: a condition no index answers, which the planner takes to match half the rows.
            checked = f"COALESCE({vector} @@ {query}, false)"
            if _walking.get():
                return checked, [self.tsquery]
            if self.index_tsquery:
                return f"({vector} @@ {query} AND {checked})", [self.index_tsquery, self.tsquery]
            return f"{vector} @@ {query}", [self.tsquery]
        by_attname = dict(zip(self.columns, compiled, strict=True))
        text = index.postgresql_text(self.kind, self.columns, lambda field: by_attname[field.attname])
        return f"to_tsvector('{self.config}'::regconfig, {text}) @@ {query}", [self.tsquery]


def _config_of(term):
    return index.EXACT_CONFIG if syntax.is_exact(term) else index.STEM_CONFIG


def _table_of(kind, term):
    return index.exact_table(kind) if syntax.is_exact(term) else index.stem_table(kind)


def _group_condition(kind, group, vendor):
    conditions = []
    for exact in (False, True):
        clauses = [clause for clause in group if syntax.is_exact(clause.term) == exact]
        if not clauses:
            continue
        if vendor == "postgresql":
            config = index.EXACT_CONFIG if exact else index.STEM_CONFIG
            conditions.append(
                TsMatch(kind, config, syntax.to_tsquery(clauses), index_tsquery=syntax.to_index_tsquery(clauses))
            )
            continue
        table = index.exact_table(kind) if exact else index.stem_table(kind)
        if any(not clause.negated for clause in clauses):
            phrases = _exact_phrases(clauses) if exact and len(kind.document) == 1 else None
            conditions.append(
                FtsMatch(table, syntax.to_match(clauses, "document"), phrases=phrases, column=kind.document[0])
            )
        else:
            excluded = " OR ".join(syntax.term_match(clause.term) for clause in clauses)
            conditions.append(FtsMatch(table, syntax.in_columns("document", excluded), negated=True))
    return reduce(lambda a, b: a & b, conditions)


def match(kind, prepared, vendor):
    """The condition of the records of `kind` the query finds (None: every record)."""
    if not prepared.query:
        return None
    return reduce(or_, (_group_condition(kind, group, vendor) for group in prepared.query.groups))


def _term_in(kind, term, vendor, column):
    """Whether the record has `term` in its head or its document, as its index reads it."""
    single = [syntax.Clause(term)]
    if vendor == "postgresql":
        if column == "head":
            return TsMatch(kind, _config_of(term), syntax.to_tsquery(single), columns=kind.head)
        return TsMatch(kind, _config_of(term), syntax.to_tsquery(single))
    return FtsMatch(_table_of(kind, term), syntax.to_match(single, column))


def relevance(kind, prepared, vendor):
    """An integer expression: for each term looked for, 2 if in the head, 1 if in the document."""
    terms = prepared.terms
    points = []
    if kind.head:
        points += [
            Case(When(_term_in(kind, term, vendor, "head"), then=Value(HEAD_WEIGHT)), default=Value(0))
            for term in terms
        ]
    if len(prepared.query.groups) > 1:
        points += [
            Case(When(_term_in(kind, term, vendor, "document"), then=Value(DOCUMENT_WEIGHT)), default=Value(0))
            for term in terms
        ]
    else:
        # One group: every record found has every term it looks for.
        points.append(Value(DOCUMENT_WEIGHT * len(terms)))
    return reduce(lambda a, b: a + b, points, Value(0, output_field=IntegerField()))


# --- Passages ------------------------------------------------------------------------------------


def passages(kind, prepared, pks):
    """{pk: the passage that shows why the record matched, in HTML with <mark>…</mark>}."""
    terms = prepared.terms
    if not terms or not pks:
        return {}
    connection = connections[prepared.using]
    pks = list(pks)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tsquery = " | ".join(syntax.term_tsquery(term) for term in terms)
            options = f"StartSel={START_MARK}, StopSel={END_MARK}"
            pk = kind.model._meta.pk.column
            head = index.postgresql_text(kind, kind.head)
            raw_head = index.postgresql_raw(kind, kind.head)
            raw_passage = index.postgresql_raw(kind, kind.passage_columns)
            query = f"to_tsquery('{index.STEM_CONFIG}'::regconfig, %s)"
            cursor.execute(
                f"SELECT \"{pk}\", CASE WHEN to_tsvector('{index.STEM_CONFIG}'::regconfig, {head}) @@ {query} "
                f"THEN ts_headline('{index.STEM_CONFIG}'::regconfig, {raw_head}, {query}, %s) "
                f"ELSE ts_headline('{index.STEM_CONFIG}'::regconfig, {raw_passage}, {query}, %s) END "
                f'FROM "{kind.table}" WHERE "{pk}" = ANY(%s)',
                [
                    tsquery,
                    tsquery,
                    f"{options}, HighlightAll=true",
                    tsquery,
                    f"{options}, MaxWords={PASSAGE_WORDS}, MinWords={PASSAGE_WORDS // 2}, MaxFragments=1, "
                    'FragmentDelimiter=" … "',
                    pks,
                ],
            )
        else:
            table = index.stem_table(kind)
            looked_for = " OR ".join(syntax.term_match(term) for term in terms)
            placeholders = ", ".join(["%s"] * len(pks))
            cursor.execute(
                f"SELECT rowid, highlight({table}, 0, %s, %s), snippet({table}, 1, %s, %s, '…', {PASSAGE_WORDS}) "
                f"FROM {table} WHERE {table} MATCH %s AND rowid IN ({placeholders})",
                [START_MARK, END_MARK, START_MARK, END_MARK, syntax.in_columns("head document", looked_for), *pks],
            )
        rows = cursor.fetchall()
    found = {}
    for row in rows:
        if connection.vendor == "postgresql":
            pk, passage = row
        else:
            pk, head, snippet = row
            passage = head if START_MARK in (head or "") else snippet
        if passage and START_MARK in passage:
            found[pk] = to_html(passage)
    return found


WHITESPACE = re.compile(r"\s+")


def to_html(passage):
    escaped = html.escape(WHITESPACE.sub(" ", passage).strip(), quote=False)
    return escaped.replace(START_MARK, "<mark>").replace(END_MARK, "</mark>")


# --- Suggestions ---------------------------------------------------------------------------------


def suggestions(prepared):
    """For a query that found nothing: [(Named, [the name words it was close to])], closest first."""
    words = [
        word.rstrip(syntax.PREFIX_MARK)
        for clause in prepared.query.clauses()
        if not clause.negated
        for word in clause.term.typed
    ]
    if not words:
        return []
    book = prepared.book or name_book(prepared.using)
    return book.suggestions(words)
