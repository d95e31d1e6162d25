"""The search syntax, read once for both databases: PostgreSQL's `websearch_to_tsquery`.

- `refused sign`: every word must match (stemmed: "refuses" matches "refused");
- `"Mary E. Heffernan"`: the words in this order, exactly as written (no stemming);
- `-Cuomo`, `-"New York"`: the record must not match;
- `Quinn OR Cuomo`: either side. OR binds loosest, as in PostgreSQL: `a b OR c` is (a and b) or c;
- `Heff*`: any word starting so (an addition to PostgreSQL's syntax).

Case and accents never matter. `parse()` reads a query into a `Query`: groups joined by OR, each
a list of clauses that must all hold, a clause being a term, maybe negated. `to_tsquery()` and
`to_match()` write it out for PostgreSQL's `to_tsquery` and SQLite FTS5's MATCH. The reading
follows PostgreSQL 15's websearch parser (src/backend/utils/adt/tsquery.c): a test compares the
two on the PostgreSQL leg. Where they part, by design:

- a word is split into its runs of letters and digits, which must follow one another
  ("S-Comm", "won't", "77,000"), as the text was when indexed; PostgreSQL would also look for
  "s-comm" as one word, and keep an e-mail address or "3.5" whole;
- punctuation alone ("—") is ignored, where PostgreSQL leaves a gap in a phrase;
- HTML tags are ignored, as PostgreSQL's parser does.
"""

import re
import unicodedata
from dataclasses import dataclass

from kb.search.text import WORD

# Clauses used from one query; the rest are ignored (each costs an index lookup).
MAX_CLAUSES = 10
# What PostgreSQL's websearch parser skips between operands, and where a word ends.
OPERATOR_CHARACTERS = frozenset("!&|()<")
# Where a word ends (a colon begins a word, but ends one too: PostgreSQL reads weights after it).
WORD_ENDS = OPERATOR_CHARACTERS | frozenset('":')
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
PREFIX_MARK = "*"


@dataclass(frozen=True)
class Term:
    """What a clause looks for: any of its options, an option being phrases that must all be
    present, a phrase words that follow one another. A word ending in `*` is a prefix.

    Typed words give one option of one phrase; kb.search.names adds options (a name's other
    spellings, the names close to a misspelt word)."""

    options: tuple
    exact: bool = False

    @classmethod
    def of_words(cls, words, exact=False):
        return cls(((tuple(words),),), exact)

    @property
    def typed(self):
        """The words as typed: the first option's only phrase."""
        return self.options[0][0]

    def with_options(self, extra):
        known = set(self.options)
        added = tuple(option for option in extra if option not in known and not known.add(option))
        return Term(self.options + added, self.exact)


@dataclass(frozen=True)
class Clause:
    term: Term
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """Groups joined by OR; in a group, every clause must hold."""

    groups: tuple

    def __bool__(self):
        return bool(self.groups)

    def clauses(self):
        return [clause for group in self.groups for clause in group]

    def positive_terms(self):
        """The distinct terms the query looks for (not those it excludes), in order."""
        terms = []
        for clause in self.clauses():
            if not clause.negated and clause.term not in terms:
                terms.append(clause.term)
        return terms

    def replace_terms(self, replacements):
        """The query with each term replaced as `replacements` (term -> term) says."""
        return Query(
            tuple(
                tuple(Clause(replacements.get(clause.term, clause.term), clause.negated) for clause in group)
                for group in self.groups
            )
        )


def clean(text):
    """The query as the parser reads it: composed accents, no control characters or HTML tags."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(char) in ("Cc", "Cf") else char for char in text)
    return HTML_TAG.sub(" ", text)


def parse(text, limited=True):
    """Read a query typed in the search syntax; see the module's docstring. `limited`: each
    clause once, and at most MAX_CLAUSES of them."""
    text = clean(text)
    groups, group = [], []
    negations = 0
    phrase, phrase_negations = None, 0  # inside quotes: the raw words so far
    expecting_operand = True
    position, length = 0, len(text)

    def add(raw_words, negated, exact):
        term = _term(raw_words, exact)
        if term is not None:
            group.append(Clause(term, negated))

    while position < length:
        char = text[position]
        if expecting_operand:
            if char == "-":
                position += 1
                if phrase is None:
                    negations += 1
            elif char == '"':
                position += 1
                if phrase is None:
                    # An opening quote starts a phrase, which the end of the query closes if no quote does.
                    phrase, phrase_negations, negations = [], negations, 0
                else:
                    add(phrase, phrase_negations % 2 == 1, exact=True)
                    phrase = None
                    expecting_operand = False
            elif char in OPERATOR_CHARACTERS or char.isspace():
                position += 1
            else:
                end = position + 1
                while end < length and not (text[end].isspace() or text[end] in WORD_ENDS):
                    end += 1
                raw = text[position:end]
                position = end
                expecting_operand = False
                if phrase is not None:
                    phrase.append(raw)
                else:
                    add([raw], negations % 2 == 1, exact=False)
                    negations = 0
        elif char == '"':
            if phrase is None:
                expecting_operand = True  # an implied AND before the quote
            else:
                position += 1
                add(phrase, phrase_negations % 2 == 1, exact=True)
                phrase = None
        elif phrase is None and _is_or(text, position):
            position += 2
            groups.append(group)
            group, negations, expecting_operand = [], 0, True
        elif char.isspace() or char in OPERATOR_CHARACTERS:
            position += 1
        else:
            expecting_operand = True  # an implied AND (in quotes: the next word of the phrase)
    if phrase is not None:
        add(phrase, phrase_negations % 2 == 1, exact=True)
    groups.append(group)
    if not limited:
        return Query(tuple(tuple(group) for group in groups if group))
    return _limited(groups)


def _is_or(text, position):
    """`or` (any case) as a word with an operand somewhere after it, as PostgreSQL reads it."""
    if text[position : position + 2].lower() != "or" or position + 2 >= len(text):
        return False
    following = text[position + 2]
    if following in "-_" or following.isalnum():
        return False
    # PostgreSQL steps over the character after "or" before it looks for the operand.
    return bool(text[position + 3 :].strip())


def _term(raw_words, exact):
    words = []
    for raw in raw_words:
        found = WORD.findall(raw)
        if found and raw.rstrip().endswith(PREFIX_MARK) and WORD.fullmatch(raw.rstrip().rstrip(PREFIX_MARK)[-1:]):
            found[-1] += PREFIX_MARK
        words.extend(found)
    # A prefix only ends a phrase (FTS5 has no other kind).
    words = [word.rstrip(PREFIX_MARK) for word in words[:-1]] + words[-1:]
    return Term.of_words(words, exact) if words else None


def _limited(groups):
    kept, seen_total = [], 0
    for group in groups:
        distinct = []
        for clause in group:
            if clause not in distinct and seen_total < MAX_CLAUSES:
                distinct.append(clause)
                seen_total += 1
        if distinct:
            kept.append(tuple(distinct))
    return Query(tuple(kept))


# --- Writing a query out ---------------------------------------------------------------------


def is_prefix(word):
    return word.endswith(PREFIX_MARK)


# Words this short are never stemmed: SQLite's porter tokenizer leaves them, PostgreSQL's would
# not ("us" would become "u" and match "U.S.", "as" would match "a"), so both match them exactly.
MIN_STEMMED_LENGTH = 3


def is_exact(term):
    """Whether a term is matched without stemming: quoted, or with a word of one or two letters."""
    return term.exact or any(
        len(word.rstrip(PREFIX_MARK)) < MIN_STEMMED_LENGTH
        for option in term.options
        for phrase in option
        for word in phrase
    )


def _tsquery_word(word):
    bare = word.rstrip(PREFIX_MARK)
    quoted = "'" + bare.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + ":*" if is_prefix(word) else quoted


def term_tsquery(term):
    """A term for PostgreSQL's to_tsquery(): (a <-> b & c) | (d)."""
    options = [
        " & ".join("( " + " <-> ".join(_tsquery_word(word) for word in phrase) + " )" for phrase in option)
        for option in term.options
    ]
    return "( " + " | ".join(f"( {option} )" for option in options) + " )"


def to_tsquery(clauses):
    """Clauses that must all hold, for to_tsquery(); a negated clause is `!( ... )`."""
    return " & ".join(("!" if clause.negated else "") + term_tsquery(clause.term) for clause in clauses)


# Words in most English texts. A GIN index asked for a phrase intersects the lists of the rows
# of each of its words, and the lists of these hold most rows: to_index_tsquery() leaves them out.
COMMON_WORDS = frozenset(
    "a an and are as at be been by for from had has have he her his in is it its of on or she that the "
    "their they this to was were will with".split()
)


def to_index_tsquery(clauses):
    """What a GIN index is asked for the clauses: their phrases' words, without the common ones,
    in any order, and no exclusions. Every record the clauses find has them; the clauses then
    check order and exclusions on each record's stored vector. None: no phrase, the index is asked
    for the clauses themselves."""
    positive = [clause for clause in clauses if not clause.negated]
    if not any(len(phrase) > 1 for clause in positive for option in clause.term.options for phrase in option):
        return None
    terms = []
    for clause in clauses:
        if clause.negated:
            continue
        options = []
        for option in clause.term.options:
            words = []
            for phrase in option:
                rare = [word for word in phrase if word.rstrip(PREFIX_MARK).casefold() not in COMMON_WORDS]
                words += rare or list(phrase)
            options.append(" & ".join(_tsquery_word(word) for word in words))
        terms.append("( " + " | ".join(f"( {option} )" for option in options) + " )")
    return " & ".join(terms) or None


def _match_phrase(phrase):
    words = " ".join(word.rstrip(PREFIX_MARK).replace('"', '""') for word in phrase)
    return f'"{words}"' + (" *" if is_prefix(phrase[-1]) else "")


def term_match(term):
    """A term for FTS5's MATCH: ("a b" AND "c") OR ("d")."""
    options = [" AND ".join(_match_phrase(phrase) for phrase in option) for option in term.options]
    return "(" + " OR ".join(f"({option})" for option in options) + ")"


def to_match(clauses, column):
    """Clauses that must all hold, at least one of them positive, for FTS5's MATCH in `column`."""
    positive = [term_match(clause.term) for clause in clauses if not clause.negated]
    negative = [term_match(clause.term) for clause in clauses if clause.negated]
    if not positive:
        raise ValueError("FTS5 needs a positive clause")
    return in_columns(column, " AND ".join(positive) + "".join(f" NOT {term}" for term in negative))


def in_columns(columns, expression):
    """An FTS5 expression limited to some columns (space-separated names)."""
    return "{" + columns + "} : (" + expression + ")"
