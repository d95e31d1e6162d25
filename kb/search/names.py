"""Names: what a person, an organization, a program or a place is called, in every spelling.

A `NameBook` holds every name and other name of the kinds kb.search.kinds marks `names=True`,
folded (no case, no accents), and answers in memory, the same on both databases:

- `recognize`: which records a run of words names ("Mary E. Heffernan" is Mary Beth
  Heffernan), and the spellings that name each of them alone (its *distinctive* forms: a form
  no other record has; for a person, the surname too when no other record's name has that word);
- `close_words`: the name words a misspelt word is close to, by edit distance (one letter
  wrong, missing, extra, or two swapped: at most 1 edit for words of 4 to 7 letters, 2 from 8);
- `suggestions`: the names closest to a query that found nothing, ranked by pg_trgm's trigram
  similarity (the formula of PostgreSQL's pg_trgm, computed here so both databases agree).

The book is loaded once per process and database, and loaded again when the database's names
token (kb.search.index: `kb_search_state`, changed by triggers on every write to a name) differs.
"""

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from kb.search.text import WORD, fold, folded_words

MIN_FUZZY_LENGTH = 4
MAX_CORRECTIONS = 3
MAX_SUGGESTIONS = 5
# Recognition tries at most this many combinations of corrected words in one run of words.
MAX_COMBINATIONS = 256


def max_edits(word):
    """How many edits a misspelt word may be from a name: none below 4 letters, 1 up to 7, then 2."""
    if len(word) < MIN_FUZZY_LENGTH:
        return 0
    return 1 if len(word) < 8 else 2


def edit_distance(a, b, bound):
    """Optimal string alignment distance (Damerau-Levenshtein without reuse), or bound + 1 past `bound`."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    previous2, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletions(word, depth):
    found, level = {word}, {word}
    for _ in range(depth):
        level = {variant[:i] + variant[i + 1 :] for variant in level for i in range(len(variant))}
        found |= level
    return found


def trigrams(text):
    """pg_trgm's trigrams of a text: each word lower-cased, padded with two spaces before and one after."""
    found = set()
    for word in WORD.findall(text.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def similarity(a, b):
    """pg_trgm's similarity(a, b): shared trigrams over all trigrams of either."""
    first, second = trigrams(a), trigrams(b)
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


@dataclass(frozen=True)
class Named:
    """A record with names: its kind (kb.search.kinds), primary key, slug and main name."""

    kind: str
    pk: int
    slug: str
    name: str


@dataclass
class NameBook:
    records: dict = field(default_factory=dict)  # (kind, pk) -> Named
    forms_of: dict = field(default_factory=lambda: defaultdict(list))  # key -> [folded form]
    owners_of_form: dict = field(default_factory=lambda: defaultdict(set))  # folded form -> keys
    owners_of_word: dict = field(default_factory=lambda: defaultdict(set))  # folded word -> keys
    spelling: dict = field(default_factory=dict)  # folded word -> a spelling of it in a name
    deletions: dict = field(default_factory=lambda: defaultdict(set))  # deletion variant -> words

    def add(self, kind, pk, slug, name, main=False):
        key = (kind, pk)
        if main:
            self.records[key] = Named(kind, pk, slug, name)
        form = folded_words(name)
        if not form or form in self.forms_of[key]:
            return
        self.forms_of[key].append(form)
        self.owners_of_form[form].add(key)
        for word, spelled in zip(form, WORD.findall(name), strict=False):
            self.owners_of_word[word].add(key)
            self.spelling.setdefault(word, spelled)

    def finish(self, people_kinds):
        """Index the words for typo tolerance; a person's surname names them alone if distinctive."""
        for word in self.owners_of_word:
            if len(word) >= 3:
                for variant in _deletions(word, 2):
                    self.deletions[variant].add(word)
        self.surnames = {}
        for key, forms in self.forms_of.items():
            if key[0] in people_kinds:
                self.surnames[key] = {form[-1] for form in forms if len(form) > 1}
        return self

    # --- Asking -------------------------------------------------------------------------------

    def knows(self, word):
        return fold(word) in self.owners_of_word

    def close_words(self, word, bound=None):
        """Name words within the edit bound of `word`, nearest first: [(distance, word)]."""
        folded = fold(word)
        bound = max_edits(folded) if bound is None else bound
        if bound == 0:
            return []
        candidates = set()
        for variant in _deletions(folded, bound):
            candidates |= self.deletions.get(variant, set())
        scored = [(edit_distance(folded, candidate, bound), candidate) for candidate in candidates]
        return sorted(
            (distance, candidate) for distance, candidate in scored if 0 < distance <= bound and candidate != folded
        )

    def corrections(self, word):
        """The nearest name words to a misspelt word, at most MAX_CORRECTIONS, most used first."""
        close = self.close_words(word)
        if not close:
            return []
        nearest = close[0][0]
        words = [candidate for distance, candidate in close if distance == nearest]
        words.sort(key=lambda candidate: (-len(self.owners_of_word[candidate]), candidate))
        return words[:MAX_CORRECTIONS]

    def recognize(self, options_per_word):
        """The records a whole form names, given each position's possible folded words."""
        combinations = [()]
        for options in options_per_word:
            combinations = [combo + (word,) for combo in combinations for word in options][:MAX_COMBINATIONS]
        owners = set()
        for combination in combinations:
            owners |= self.owners_of_form.get(combination, set())
        return owners

    def distinctive_forms(self, key):
        """The spellings that name this record and no other: its forms, and a person's surname."""
        forms = [form for form in self.forms_of.get(key, ()) if self.owners_of_form[form] == {key}]
        for surname in sorted(self.surnames.get(key, ())):
            if self.owners_of_word[surname] == {key} and (surname,) not in forms:
                forms.append((surname,))
        return forms

    def suggestions(self, words):
        """The records whose names are closest to a query's words: [(Named, [its name words they were
        close to])]: first those a misspelt word is close to, then by trigram similarity to the query."""
        query = " ".join(words)
        matched = defaultdict(set)  # key -> the name words the query's words were close to
        corrected = set()  # keys reached through a misspelt word: "did you mean" first
        for word in words:
            folded = fold(word)
            close = [(0, folded)] if folded in self.owners_of_word else []
            close += self.close_words(folded, bound=max(max_edits(folded), 1 if len(folded) >= 3 else 0))
            for distance, name_word in close:
                for key in self.owners_of_word.get(name_word, ()):
                    matched[key].add(name_word)
                    if distance:
                        corrected.add(key)
        ranked = []
        for key, name_words in matched.items():
            named = self.records.get(key)
            if named is None:
                continue
            score = max(similarity(query, " ".join(form)) for form in self.forms_of[key])
            ranked.append((key not in corrected, -score, named.name, named.kind, named.slug, key, name_words))
        ranked.sort()
        return [
            (self.records[key], [self.spelling[word] for word in sorted(name_words)])
            for *_, key, name_words in ranked[:MAX_SUGGESTIONS]
        ]


class NameBooks:
    """One book per database alias, loaded again when the database's names token changes."""

    def __init__(self):
        self._books = {}
        self._lock = threading.Lock()

    def get(self, using, token, load):
        with self._lock:
            cached = self._books.get(using)
            if cached is not None and cached[0] == token:
                return cached[1]
        book = load()
        with self._lock:
            self._books[using] = (token, book)
        return book

    def peek(self, using):
        """The book last loaded for this database, however old (None before the first)."""
        with self._lock:
            cached = self._books.get(using)
        return cached[1] if cached is not None else None

    def clear(self):
        with self._lock:
            self._books.clear()


books = NameBooks()
