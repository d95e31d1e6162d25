"""Search as journalists type it (issue 15, docs/search.md), the same on SQLite and PostgreSQL.

Every example runs on the leg's database and is compared with one expected table, so both legs
must give the same hits in the same order. The syntax is checked against PostgreSQL's own
websearch_to_tsquery on the PostgreSQL leg.
"""

import random
import re

import pytest
from django.db import connection, transaction

from kb import search as kb_search
from kb.models import Citation, Official, Position, Source
from kb.search import index, names, syntax
from kb.search import query as search_query
from kb.search.kinds import KINDS
from kb.search.text import WORD, words_of
from tests.api_helpers import ON_POSTGRESQL, assert_error, get, page, slugs

# The positions that name Heffernan, in the list's order (by date): her letter is Massachusetts'
# refusal; AP's domestic violence advocates are not hers, but their note says why (she relayed
# only the law enforcement officials); the officials she relayed, a voice of hers beside them.
HEFFERNAN_POSITIONS = [
    "massachusetts-refuses-secure-communities-2011-06-03",
    "domestic-violence-advocates-oppose",
    "law-enforcement-officials-oppose",
]
# Those that name her in full, "Mary Beth Heffernan" or "Mary E. Heffernan", not her surname alone.
MARY_HEFFERNAN_POSITIONS = [HEFFERNAN_POSITIONS[0], HEFFERNAN_POSITIONS[2]]
ALL_SOURCES = [
    "ap-patrick-massachusetts-wont-participate",
    "blog-patrick-refuses-to-join-secure-communities",
    "boston-globe-patrick-wont-sign",
    "boston-herald-patrick-refuses-to-sign",
    "wbur-mass-wont-join-immigration-check-program",
]


def shape(query):
    """A query as text: groups joined by OR, each clause -word, "exact phrase" or a|b for options."""

    def clause_text(clause):
        term = clause.term
        options = ["+".join(" ".join(phrase) for phrase in option) for option in term.options]
        text = "|".join(options)
        text = f'"{text}"' if term.exact else text
        return ("-" if clause.negated else "") + text

    return " OR ".join(", ".join(clause_text(clause) for clause in group) for group in query.groups)


# ---------------------------------------------------------------- the syntax, read once

SYNTAX = [
    ("Patrick refuses", "Patrick, refuses"),
    ('"Mary E. Heffernan"', '"Mary E Heffernan"'),
    ("-Cuomo Heffernan", "-Cuomo, Heffernan"),
    ('Boston -"New York"', 'Boston, -"New York"'),
    ("Quinn OR Cuomo", "Quinn OR Cuomo"),
    ("Quinn or Cuomo", "Quinn OR Cuomo"),
    ("a b OR c", "a, b OR c"),  # OR binds loosest, as in PostgreSQL
    ("S-Comm", "S Comm"),  # the runs of letters and digits, one after another
    ("77,000 won't", "77 000, won t"),
    ("heff*", "heff*"),
    ('"mary bet*"', '"mary bet*"'),
    ("--Cuomo", "Cuomo"),  # not not
    ("Cuomo -", "Cuomo"),  # nothing to exclude
    ('"unclosed phrase', '"unclosed phrase"'),
    ("or Cuomo", "or, Cuomo"),  # a leading "or" is a word
    ("Cuomo or", "Cuomo, or"),  # so is a trailing one
    ("<b>Heffernan</b>", "Heffernan"),  # HTML tags are ignored
    ("Heffernan\x00\u202e", "Heffernan"),  # so are control and format characters
    ("(Heffernan) & !Cuomo | x", "Heffernan, Cuomo, x"),  # tsquery operators are not operators here
    ("Patrick Patrick", "Patrick"),  # a clause once
    ("ma\u0301ssachusetts", "mássachusetts"),  # composed: the database drops the accent
    ("— … ''", ""),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), SYNTAX)
def test_the_syntax_reads_words_phrases_exclusions_and_or(text, expected):
    assert shape(syntax.parse(text)) == expected


def test_the_index_is_asked_for_a_phrase_s_uncommon_words_and_no_exclusions():
    (group,) = syntax.parse('"refused to sign on" -"New York" Heff*').groups
    assert syntax.to_index_tsquery(group) == "( ( 'refused' & 'sign' ) ) & ( ( 'Heff':* ) )"
    (rare,) = syntax.parse('"to be or not to be"').groups
    assert syntax.to_index_tsquery(rare) == "( ( 'not' ) )"
    (common,) = syntax.parse('"as it is"').groups
    assert syntax.to_index_tsquery(common) == "( ( 'as' & 'it' & 'is' ) )"
    (words,) = syntax.parse("Heffernan -Cuomo").groups
    assert syntax.to_index_tsquery(words) is None


@pytest.mark.usefixtures("knowledge_base")
def test_a_phrase_with_common_words_is_still_matched_in_order():
    """The index is asked for fewer words; the phrase is still checked, in order, on each record."""
    found = kb_search.search(Position.objects.all(), '"will refuse to sign"')
    assert found and all("will refuse to sign" in position.search_text.casefold() for position in found)
    assert not kb_search.search(Position.objects.all(), '"refuse will sign to"').exists()


@pytest.mark.usefixtures("knowledge_base")
@pytest.mark.parametrize(
    "text",
    [
        '"Mary E. Heffernan"',
        '"will refuse to sign"',
        '"Secure Communities" "Heffernan"',
        '"U.S. Department"',
        "AP",
        '"won t"',
    ],
)
def test_a_walked_search_finds_what_the_index_finds(text):
    """Walking tests each row (a stored vector, FTS5's matches, or an exact phrase on the row's words)."""
    ordered = Position.objects.order_by(*Position._meta.ordering)
    found = list(kb_search.search(ordered, text).values_list("slug", flat=True))
    with kb_search.walking():
        walked = list(kb_search.search(ordered, text).values_list("slug", flat=True))
    assert found and walked == found


def test_an_exact_phrase_is_tested_on_a_row_s_words_without_case_or_accents():
    spec = search_query.json.dumps([[["muller", "said"]], [["heffernan"]]])
    assert search_query.text_has_phrases("Gov MÜLLER said today", spec)
    assert search_query.text_has_phrases("per Heffernan", spec)
    assert not search_query.text_has_phrases("Muller never said", spec)
    assert not search_query.text_has_phrases("Hefferman", spec)
    assert not search_query.text_has_phrases(None, spec)


def test_at_most_ten_clauses_are_used():
    query = syntax.parse(" ".join(f"word{number}" for number in range(30)))

    assert len(query.clauses()) == syntax.MAX_CLAUSES == 10


def test_a_query_is_written_for_postgresql_and_for_fts5():
    query = syntax.parse('Patrick -"New York" heff*')
    (group,) = query.groups

    assert syntax.to_tsquery(group) == "( ( ( 'Patrick' ) ) ) & !( ( ( 'New' <-> 'York' ) ) ) & ( ( ( 'heff':* ) ) )"
    assert syntax.to_match(group, "document") == '{document} : ((("Patrick")) AND (("heff" *)) NOT (("New York")))'


WEBSEARCH_CASES = [
    'a b or c -d "e f" or -"g h" "unclosed i',
    "or a or or b -",
    '"a or b" - c --d',
    "a - or b",
    "a:b a:-b a : -b",
    "(a b) or c",
    "a or(b",
    'a or"b"',
    "a or",
    "a or  ",
    "b)OR!",
    'x "" y',
    "Mary E. Heffernan",
    "won't sign 77,000",
]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="compares with PostgreSQL's websearch_to_tsquery")
@pytest.mark.django_db
def test_the_syntax_is_postgresql_websearch_to_tsquery():
    """Our reading, written as a tsquery, is PostgreSQL's reading of the same text: on the cases
    above and on 1,000 random ones."""
    alphabet = ["a", "b", "or", "OR", "-", '"', " ", " ", " ", "c", "(", "!", ")", ":", "'", "|", "é", "\\", "&", "x-y"]
    rng = random.Random(15)
    cases = WEBSEARCH_CASES + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(1000)]
    differ = []
    with connection.cursor() as cursor:
        for text in cases:
            if "or" in text.lower() and any(not char.isascii() for char in text):
                continue  # after "or", PostgreSQL's C locale reads "é" as a non-letter; a UTF-8 locale as a letter
            if re.search(r"[^\W_]-[^\W_]", text):
                continue  # PostgreSQL also looks for a hyphenated word whole ("s-comm"); we look for its parts
            parsed = syntax.parse(text, limited=False)
            ours = " | ".join(f"( {syntax.to_tsquery(group)} )" for group in parsed.groups)
            cursor.execute("SELECT websearch_to_tsquery('simple', %s)::text", [text])
            (theirs,) = cursor.fetchone()
            while "!!" in theirs:
                theirs = theirs.replace("!!", "")
            cursor.execute(
                "SELECT CASE WHEN %s = '' THEN '' ELSE to_tsquery('simple', %s)::text END, "
                "CASE WHEN %s = '' THEN '' ELSE to_tsquery('simple', %s)::text END",
                [ours, ours, theirs, theirs],
            )
            ours_pg, theirs_pg = cursor.fetchone()
            if ours_pg != theirs_pg:
                differ.append((text, theirs_pg, ours_pg))

    assert differ == []


# ---------------------------------------------------------------- the examples, through the API

pytestmark_kb = pytest.mark.usefixtures("knowledge_base")

# (path, params, the slugs answered, in order). One table for both databases.
EXAMPLES = [
    # a misspelt name finds its record
    ("officials/", {"search": "Heffernen"}, ["mary-beth-heffernan"]),
    ("officials/", {"search": "Hefernan"}, ["mary-beth-heffernan"]),
    ("officials/", {"search": "Cuomo Andrwe"}, ["andrew-cuomo"]),  # two letters swapped
    # stemming: "refuses" finds "refused"
    (
        "positions/",
        {"search": "Patrick refuses"},
        [
            "greater-boston-tea-party-supports",  # "the Patrick administration's refusal"
            "massachusetts-refuses-secure-communities-2011-06-03",  # "Patrick said he will refuse"
            "boston-participates-2011",  # "when Patrick refused"
        ],
    ),
    ("positions/", {"search": "Patrick refuses", "stance": "refuses"}, [HEFFERNAN_POSITIONS[0]]),
    # quotes match exactly: only "refused", not "refuses" or "refusing"
    (
        "positions/",
        {"search": '"refused"'},
        [
            "massachusetts-refuses-secure-communities-2011-06-03",
            "new-york-refuses-globe-version",
            "boston-participates-2011",
        ],
    ),
    # a phrase: only the Globe spells her "Mary E. Heffernan"
    ("sources/", {"search": '"Mary E. Heffernan"'}, ["boston-globe-patrick-wont-sign"]),
    ("sources/", {"search": '"mary e heffernan"'}, ["boston-globe-patrick-wont-sign"]),
    # an other name finds every record that names her, in any spelling
    ("positions/", {"search": "Mary E. Heffernan"}, HEFFERNAN_POSITIONS),
    ("positions/", {"search": "Heffernan"}, HEFFERNAN_POSITIONS),
    ("sources/", {"search": "Mary E. Heffernan"}, ALL_SOURCES),
    ("officials/", {"search": "Mary E. Heffernan"}, ["mary-beth-heffernan"]),
    # case and accents never matter
    ("officials/", {"search": "HEFFERNÁN"}, ["mary-beth-heffernan"]),
    ("positions/", {"search": "heffernan"}, HEFFERNAN_POSITIONS),
    # an organization's other name finds what its name finds
    ("organizations/", {"search": "ICE"}, ["department-of-homeland-security", "immigration-and-customs-enforcement"]),
    # a hyphenated word: "S-Comm" is only in the Herald reposter's header (a source's whole text is searched)
    ("sources/", {"search": "S-Comm"}, ["boston-herald-patrick-refuses-to-sign"]),
    ("programs/", {"search": "S-Comm"}, []),  # so it is no other name of the program's
    # OR, and excluded words
    (
        "positions/",
        {"search": "Quinn OR Cuomo"},
        [
            "illinois-withdraws-2011-05",
            "new-york-withdraws-2011-06",
            "illinois-refuses-globe-version",  # its note: "The Globe does not name Quinn"
            "new-york-refuses-globe-version",  # its note: "The Globe does not name Cuomo"
            "illinois-refuses",
            "new-york-suspends-ap-version",
        ],
    ),
    ("positions/", {"search": "Heffernan -Patrick"}, HEFFERNAN_POSITIONS[1:]),
    # relevance: a word in the summary counts twice (ties: the list's order, by date). Heffernan is
    # in the summaries of her letter and of the officials she relayed, in only the note of the
    # domestic violence advocates.
    (
        "positions/",
        {"search": "Heffernan", "ordering": "relevance"},
        [HEFFERNAN_POSITIONS[0], HEFFERNAN_POSITIONS[2], HEFFERNAN_POSITIONS[1]],
    ),
    (
        "positions/",
        {"search": "Heffernan", "ordering": "-relevance"},
        [HEFFERNAN_POSITIONS[1], HEFFERNAN_POSITIONS[0], HEFFERNAN_POSITIONS[2]],
    ),
    # each of these has both words in its summary: a tie, in the list's order either way
    (
        "positions/",
        {"search": "Patrick refuses", "ordering": "-relevance"},
        [
            "greater-boston-tea-party-supports",
            "massachusetts-refuses-secure-communities-2011-06-03",
            "boston-participates-2011",
        ],
    ),
    # a prefix, asked for
    ("officials/", {"search": "Heff*"}, ["mary-beth-heffernan"]),
    ("officials/", {"search": "Heff"}, []),
]


@pytest.mark.usefixtures("knowledge_base")
@pytest.mark.parametrize(("path", "params", "expected"), EXAMPLES, ids=[f"{p}{q}" for p, q, _ in EXAMPLES])
def test_each_example_answers_the_same_hits_in_the_same_order(api, path, params, expected):
    assert slugs(get(api, path, {**params, "limit": 100})) == expected


@pytest.mark.usefixtures("knowledge_base")
def test_a_name_and_its_other_name_find_the_same_positions(api):
    assert slugs(get(api, "positions/", {"search": "Mary E. Heffernan"})) == slugs(
        get(api, "positions/", {"search": "Heffernan"})
    )


@pytest.mark.usefixtures("knowledge_base")
def test_a_search_that_finds_nothing_suggests_the_closest_names(api):
    body = page(get(api, "positions/", {"search": "Heffernen Illinois"}))

    assert body["count"] == 0
    assert [suggestion["name"] for suggestion in body["suggestions"]] == ["Mary Beth Heffernan", "Illinois"]
    assert body["suggestions"][0] == {
        "name": "Mary Beth Heffernan",
        "type": "official",
        "slug": "mary-beth-heffernan",
        "url": "http://testserver/api/v1/officials/mary-beth-heffernan/",
        "search": "Heffernan",
    }


@pytest.mark.usefixtures("knowledge_base")
def test_a_search_that_finds_something_has_no_suggestions(api):
    assert "suggestions" not in page(get(api, "officials/", {"search": "Heffernen"}))
    assert "suggestions" not in page(get(api, "officials/"))


@pytest.mark.usefixtures("knowledge_base")
def test_relevance_needs_a_search(api):
    body = assert_error(get(api, "positions/", {"ordering": "relevance"}), 400, "ordering")

    assert "search" in body["errors"]["ordering"][0]


# ---------------------------------------------------------------- one search over every kind

# (params, [(type, slug or the title's start, score)], count): one table for both databases.
SEARCHES = [
    (
        {"q": "Heffernan", "limit": 6},
        [
            ("official", "mary-beth-heffernan", 1.0),
            ("position", "massachusetts-refuses-secure-communities-2011-06-03", 1.0),
            ("position", "law-enforcement-officials-oppose", 1.0),
            ("fact", "boston-more-than-half-non-criminal", 1.0),
            ("fact", "boston-one-in-four-serious-criminals", 1.0),
            # her name in no organization's name: the third of the points, a match in its text
            ("organization", "immigration-and-customs-enforcement", 0.3333),
        ],
        47,
    ),
    (
        {"q": '"Mary E. Heffernan"'},
        [
            ("official", "mary-beth-heffernan", 0.3333),
            ("position", "massachusetts-refuses-secure-communities-2011-06-03", 0.3333),
            ("position", "law-enforcement-officials-oppose", 0.3333),  # her voice's other name
            ("source", "boston-globe-patrick-wont-sign", 0.3333),
            ("citation", "In a letter dated Friday, Public Safety Secretary Mary E. Heffernan", 0.3333),
            ("citation", "Public Safety Secretary Mary E. Heffernan", 0.3333),
        ],
        6,
    ),
    (
        {"q": "Quinn OR Cuomo", "limit": 5},
        [
            ("official", "andrew-cuomo", 0.5),
            ("official", "pat-quinn", 0.5),
            ("position", "illinois-withdraws-2011-05", 0.5),
            ("position", "new-york-withdraws-2011-06", 0.5),
            ("position", "illinois-refuses", 0.5),
        ],
        27,
    ),
    (
        {"q": "Menino", "type": ["source", "citation"]},
        [
            ("source", "boston-globe-patrick-wont-sign", 0.3333),
            # Montes's words, cited for Boston's participation, Centro Presente's position and her voice in it
            ("citation", "said executive director Patricia Montes, adding, “We hope that Mayor Menino", 0.3333),
            ("citation", "said executive director Patricia Montes, adding, “We hope that Mayor Menino", 0.3333),
            ("citation", "said executive director Patricia Montes, adding, “We hope that Mayor Menino", 0.3333),
            ("citation", "We hope that Mayor Menino", 0.3333),
            ("citation", "Mayor Menino", 0.3333),
        ],
        6,
    ),
    ({"q": "Heffernen", "type": "official"}, [("official", "mary-beth-heffernan", 1.0)], 1),
]


def hits(body):
    return [(hit["type"], hit["slug"] if hit["slug"] else hit["title"], hit["score"]) for hit in body["results"]]


@pytest.mark.usefixtures("knowledge_base")
@pytest.mark.parametrize(("params", "expected", "count"), SEARCHES, ids=[str(case[0]) for case in SEARCHES])
def test_one_search_answers_typed_hits_best_first(api, params, expected, count):
    body = get(api, "search/", params).json()

    assert body["count"] == count
    found = hits(body)
    assert [
        (kind, slug[: len(wanted)], score) for (kind, slug, score), (_, wanted, _) in zip(found, expected, strict=False)
    ] == expected
    assert len(found) == len(expected)


@pytest.mark.usefixtures("knowledge_base")
def test_each_hit_has_its_url_and_a_passage_that_shows_why_it_matched(api):
    body = get(api, "search/", {"q": "Heffernan", "limit": 100}).json()

    assert {hit["type"] for hit in body["results"]} >= {
        "official",
        "position",
        "fact",
        "source",
        "citation",
        "organization",
    }
    for hit in body["results"]:
        assert "<mark>Heffernan</mark>" in hit["passage"], hit
        assert hit["url"].startswith("http://testserver/api/v1/")
        assert get(api, hit["url"].removeprefix("http://testserver")).status_code == 200
        assert (hit["source_url"] is not None) == (hit["type"] == "citation")
    scores = [hit["score"] for hit in body["results"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.usefixtures("knowledge_base")
def test_passages_escape_the_text_around_the_marks(api):
    body = get(api, "search/", {"q": "Commonwealth dubious", "type": "citation", "limit": 1}).json()
    (hit,) = body["results"]

    passage = hit["passage"].replace("<mark>", "").replace("</mark>", "")
    assert "<" not in passage and ">" not in passage
    assert "<mark>" in hit["passage"]


@pytest.mark.usefixtures("knowledge_base")
def test_one_search_pages_with_limit_and_offset(api):
    everything = hits(get(api, "search/", {"q": "Heffernan", "limit": 100}).json())
    first = get(api, "search/", {"q": "Heffernan", "limit": 10}).json()
    second = get(api, first["next"].removeprefix("http://testserver")).json()

    assert hits(first) + hits(second) == everything[:20]
    assert get(api, second["previous"].removeprefix("http://testserver")).json() == first
    assert first["previous"] is None


@pytest.mark.usefixtures("knowledge_base")
def test_one_search_that_finds_nothing_suggests_names(api):
    body = get(api, "search/", {"q": "Hefernnan Illinoys", "type": "citation"}).json()

    assert body["count"] == 0
    assert [suggestion["slug"] for suggestion in body["suggestions"]] == ["illinois", "mary-beth-heffernan"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 501}, "q"),
        ({"q": "x\x00"}, "q"),
        ({"q": "x", "type": "person"}, "type"),
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": "x", "limit": "101"}, "limit"),
        ({"q": "x", "offset": "1001"}, "offset"),
        ({"q": "x", "offset": "-1"}, "offset"),
        ({"q": "x", "search": "x"}, "search"),
        ({"q": "x", "format": "csv"}, "format"),  # search answers JSON only
    ],
)
@pytest.mark.django_db
def test_a_bad_search_is_a_400_that_names_the_parameter(api, params, field):
    assert_error(get(api, "search/", params), 400, field)


# ---------------------------------------------------------------- the indexes follow every write


@pytest.mark.usefixtures("knowledge_base")
def test_a_write_is_found_in_the_same_transaction_and_a_delete_is_not(api):
    heffernan = Official.objects.get(slug="mary-beth-heffernan")
    source = Source.objects.get(slug="boston-globe-patrick-wont-sign")
    with transaction.atomic():
        position = Position.objects.create(
            slug="heffernan-xylophones-2011",
            program=Position.objects.first().program,
            official=heffernan,
            stance="supports",
            date_earliest="2011-06-03",
            date_latest="2011-06-03",
            date_precision="day",
            date_text="dated Friday",
            summary="Heffernan backs the zylophonic plan.",
        )
        assert list(kb_search.search(Position.objects.all(), "zylophonic")) == [position]
        position.summary = "Heffernan backs the plan."
        position.save()
        assert list(kb_search.search(Position.objects.all(), "zylophonic")) == []
        quote = source.text[source.text.index("Mary E. Heffernan") :][:17]
        Citation.objects.create(
            source=source,
            quote=quote,
            start=source.text.index(quote),
            end=source.text.index(quote) + len(quote),
            position=position,
        )
        assert position in kb_search.search(Position.objects.all(), '"Mary E. Heffernan"')
        position.delete()
        assert list(kb_search.search(Position.objects.all(), "Heffernan backs")) == []


@pytest.mark.skipif(ON_POSTGRESQL, reason="FTS5 tables are SQLite's")
@pytest.mark.usefixtures("knowledge_base")
def test_the_fts5_tables_agree_with_the_records_after_writes():
    official = Official.objects.get(slug="deval-patrick")
    official.other_names.create(name="Governor Deval L. Patrick")
    official.name = "Deval Laurdine Patrick"
    official.save()
    with connection.cursor() as cursor:
        for kind in KINDS.values():
            for table in (index.stem_table(kind), index.exact_table(kind)):
                cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


@pytest.mark.usefixtures("knowledge_base")
def test_rows_written_in_bulk_without_the_orm_are_found():
    """The synthetic generator writes rows with executemany or COPY, sending no signals: the
    indexes follow anyway (SQLite: triggers; PostgreSQL: the GIN index itself)."""
    program = Position.objects.first().program
    jurisdiction = Position.objects.exclude(jurisdiction=None).first().jurisdiction
    table = Position._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (slug, program_id, jurisdiction_id, stance, date_earliest, date_latest, "
            "date_precision, date_basis, date_text, summary, note, holder_key, search_text, version) VALUES "
            "(%s, %s, %s, 'supports', '2011-01-01', '2011-01-01', 'day', 'stated', 'x', 'Quuxville backs it.', '', "
            "'', %s, 1)",
            ["quuxville-supports", program.pk, jurisdiction.pk, words_of("Quuxville backs it.", "x")],
        )

    assert [position.slug for position in kb_search.search(Position.objects.all(), "quuxville")] == [
        "quuxville-supports"
    ]


@pytest.mark.usefixtures("knowledge_base")
def test_a_new_other_name_is_recognized_at_once(api):
    before = index.names_token("default")
    Official.objects.get(slug="andrew-cuomo").other_names.create(name="Andrew M. Cuomo")

    assert index.names_token("default") != before
    prepared = kb_search.prepare("Andrew M. Cuomo", Position.objects.all())
    assert prepared.names == [(["Andrew", "M", "Cuomo"], [("official", Official.objects.get(slug="andrew-cuomo").pk)])]
    # What his name finds: the Herald's and AP's versions quote him, the Globe's note says it does not name him.
    assert slugs(get(api, "positions/", {"search": "Andrew M. Cuomo"})) == [
        "new-york-withdraws-2011-06",
        "new-york-refuses-globe-version",
        "new-york-suspends-ap-version",
    ]


@pytest.mark.usefixtures("knowledge_base")
def test_a_shared_surname_names_nobody_alone():
    """A second Heffernan: "Mary E. Heffernan" then finds what her full names find, not every Heffernan."""
    massachusetts = Official.objects.get(slug="mary-beth-heffernan").jurisdiction
    Official.objects.create(slug="tom-heffernan", name="Tom Heffernan", role="Sheriff", jurisdiction=massachusetts)

    widened = kb_search.prepare("Mary E. Heffernan", Position.objects.all())
    assert shape(widened.query) == "Mary+E+Heffernan|mary beth heffernan|mary e heffernan"
    assert [p.slug for p in kb_search.search(Position.objects.all(), "Mary E. Heffernan")] == MARY_HEFFERNAN_POSITIONS


@pytest.mark.django_db
def test_sync_is_idempotent_and_puts_back_what_a_table_rebuild_dropped():
    index.sync(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'kb_search%' ORDER BY name")
            objects = cursor.fetchall()
            cursor.execute("DROP TRIGGER kb_search_position_insert")
            index.sync(connection)
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'kb_search%' ORDER BY name")
        else:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'kb_search%' ORDER BY 1")
            objects = cursor.fetchall()
            cursor.execute(f"DROP INDEX {index.postgresql_index_name(KINDS['position'], index.STEM_CONFIG)}")
            index.sync(connection)
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'kb_search%' ORDER BY 1")
        assert cursor.fetchall() == objects


@pytest.mark.skipif(ON_POSTGRESQL, reason="Django rebuilds tables to alter them on SQLite only")
@pytest.mark.django_db(transaction=True)  # SQLite's schema editor cannot run inside a transaction
def test_a_table_that_a_migration_rebuilds_stays_searchable(knowledge_base):
    """What `migrate` does around an AlterField of positions on SQLite: views dropped before, the
    table rebuilt (its triggers go with it), then the triggers made again and the index refilled."""
    index.before_migrate(None, using="default", plan=[("a migration", False)])
    with connection.schema_editor() as editor:
        editor._remake_table(Position)
    index.after_migrate(None, using="default")

    assert {p.slug for p in kb_search.search(Position.objects.all(), "Heffernan")} == set(HEFFERNAN_POSITIONS)
    position = Position.objects.get(slug=HEFFERNAN_POSITIONS[2])
    position.summary = "Law enforcement officials fear it, per Quuxley."
    position.save()
    assert [p.slug for p in kb_search.search(Position.objects.all(), "Quuxley")] == [HEFFERNAN_POSITIONS[2]]
    with connection.cursor() as cursor:
        for table in (index.stem_table(KINDS["position"]), index.exact_table(KINDS["position"])):
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


# ---------------------------------------------------------------- the declarations


@pytest.mark.usefixtures("knowledge_base")
@pytest.mark.parametrize("kind", [kind for kind in KINDS.values() if kind.head], ids=lambda kind: kind.name)
def test_a_kind_head_is_part_of_its_document(kind):
    """Relevance counts a head match on top of a document match: every head word is in the document."""
    for record in kind.model.objects.all():
        document = {word.casefold() for column in kind.document for word in WORD.findall(str(getattr(record, column)))}
        head = {word.casefold() for column in kind.head for word in WORD.findall(str(getattr(record, column)))}
        assert head <= document, record


def test_every_searchable_model_is_declared_once():
    models = [kind.model for kind in KINDS.values()]

    assert len(models) == len(set(models))
    assert set(kb_search.SEARCHABLE_MODELS) <= set(models)


# ---------------------------------------------------------------- names, typos and their measures

DISTANCES = [
    ("heffernan", "heffernen", 1),
    ("cuomo", "coumo", 1),  # two letters swapped
    ("heffernan", "hefernan", 1),
    ("heffernan", "heffernann", 1),
    ("heffernan", "hefernen", 2),
    ("abc", "xyz", 3),
]


@pytest.mark.parametrize(("a", "b", "distance"), DISTANCES)
def test_edit_distance(a, b, distance):
    assert names.edit_distance(a, b, 3) == distance
    assert names.edit_distance(b, a, 3) == distance


def test_how_close_a_misspelt_word_must_be_grows_with_its_length():
    assert [names.max_edits("x" * length) for length in (3, 4, 7, 8, 12)] == [0, 1, 1, 2, 2]


SIMILAR = [
    ("Heffernen", "Mary Beth Heffernan"),
    ("Heffernan", "Heffernan"),
    ("Mary E. Heffernan", "Mary Beth Heffernan"),
    ("Cuomo", "Andrew Cuomo"),
    ("New York", "York"),
    ("Patrick", "Patricia Montes"),
    ("xyz", "Boston"),
]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="compares with PostgreSQL's pg_trgm")
@pytest.mark.django_db
def test_trigram_similarity_is_pg_trgm_similarity():
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for a, b in SIMILAR:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            assert names.similarity(a, b) == pytest.approx(cursor.fetchone()[0], abs=1e-6), (a, b)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="compares PostgreSQL's stems with SQLite FTS5's")
@pytest.mark.usefixtures("knowledge_base")
def test_both_databases_stem_every_word_of_the_sources_alike():
    import sqlite3

    # Words of one or two letters are matched exactly on both (kb.search.syntax.is_exact).
    words = sorted({word for source in Source.objects.all() for word in WORD.findall(source.text) if len(word) >= 3})
    memory = sqlite3.connect(":memory:")
    memory.execute(f'CREATE VIRTUAL TABLE t USING fts5(x, tokenize="{index.STEM_TOKENIZER}")')
    memory.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    memory.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(words, 1))
    sqlite_stems = dict(memory.execute("SELECT doc, term FROM v").fetchall())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ordinality, (SELECT string_agg(lexeme, ' ') FROM unnest(to_tsvector('kb_stem', word))) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS word",
            [words],
        )
        postgresql_stems = dict(cursor.fetchall())

    differ = [
        (word, sqlite_stems[n], postgresql_stems[n])
        for n, word in enumerate(words, 1)
        if sqlite_stems[n] != postgresql_stems[n]
    ]
    assert differ == []


@pytest.mark.usefixtures("knowledge_base")
def test_a_query_that_no_record_and_no_name_has_is_left_as_typed():
    prepared = search_query.prepare("xylophone", [KINDS["position"]], "default")

    assert prepared.corrections == {}
    assert shape(prepared.query) == "xylophone"


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the stored vectors are PostgreSQL's")
@pytest.mark.django_db
def test_a_migration_that_alters_a_searched_field_gets_the_stored_vectors_out_of_its_way(knowledge_base):
    """PostgreSQL refuses to retype or drop a column a generated column reads: migrate drops them around it."""
    from django.db import migrations, models

    kind = KINDS["position"]
    stored = {index.postgresql_column(kind, config) for config in (index.STEM_CONFIG, index.EXACT_CONFIG)}

    class Migration(migrations.Migration):
        operations = [migrations.AlterField("position", "search_text", models.TextField(blank=True))]

    class Elsewhere(migrations.Migration):
        operations = [migrations.AlterField("source", "title", models.TextField())]

    def columns():
        with connection.cursor() as cursor:
            return index._search_columns(cursor, kind.table)

    index.before_migrate(None, using="default", plan=[(Elsewhere("0999_elsewhere", "kb"), False)])
    assert columns() == stored
    index.before_migrate(None, using="default", plan=[(Migration("0999_alter", "kb"), False)])
    assert columns() == set()
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{kind.table}" ALTER COLUMN search_text TYPE varchar(100000)')
    index.after_migrate(None, using="default")
    assert columns() == stored
    assert {p.slug for p in kb_search.search(Position.objects.all(), "Heffernan")} == set(HEFFERNAN_POSITIONS)
