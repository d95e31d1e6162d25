"""The round trip: `export_kb` writes the database's knowledge base as the reviewable source
(fixtures/kb.yaml's schema and the documents), and building and loading that gives the same
knowledge base, as the API answers it, before and after curators' edits."""

import datetime

import pytest
import yaml
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.urls import router
from kb import registry
from kb.documents import describe_part, locate_part
from kb.exporting import dump_yaml
from kb.fixture_build import DOCUMENTS_DIR, FACTS_FILE, build_fixture, render_fixture
from kb.loading import load_knowledge_base
from kb.models import Citation, LoadedRecord, Official, Position, Reason, Source
from tests.api_helpers import API
from tests.test_adding_documents import SLUG as NEW_SOURCE
from tests.test_adding_documents import new_position, new_source

pytestmark = pytest.mark.usefixtures("knowledge_base")

QUINN = "pat-quinn"
AP = "ap-patrick-massachusetts-wont-participate"
TIMELINES = ("jurisdictions", "organizations", "officials")
SEARCHES = ("Heffernan", "refuses -Boston", '"Secure Communities"', "Quinn OR Cuomo")


def export(folder, *options):
    call_command("export_kb", "--output", str(folder), *options, verbosity=0)
    return yaml.safe_load((folder / "kb.yaml").read_text(encoding="utf-8"))


def read_exactly(path):
    with open(path, encoding="utf-8", newline="") as document:
        return document.read()


# ---------------------------------------------------------------- the curated file, again


def test_an_export_of_the_loaded_knowledge_base_is_the_curated_file(tmp_path):
    exported = export(tmp_path)

    assert exported == yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
    for source in exported["sources"]:
        assert read_exactly(tmp_path / "documents" / source["file"]) == read_exactly(DOCUMENTS_DIR / source["file"])
    assert sorted(path.name for path in (tmp_path / "documents").iterdir()) == sorted(
        path.name for path in DOCUMENTS_DIR.iterdir()
    )


def test_the_committed_file_rewritten_by_export_kb_is_the_export_of_its_load_line_for_line(tmp_path):
    """So a reviewer's `diff -ru` of the two shows what curators changed, and nothing else."""
    export(tmp_path / "database")
    export(tmp_path / "committed", "--from-fixture")

    database = (tmp_path / "database" / "kb.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "committed" / "kb.yaml").read_text(encoding="utf-8") == database
    assert yaml.safe_load(database) == yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))


def test_the_export_keeps_the_curated_files_order_of_records_and_keys(tmp_path):
    exported = export(tmp_path)
    curated = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))

    assert list(exported) == list(curated)
    for section, records in curated.items():
        assert [record["slug"] for record in exported[section]] == [record["slug"] for record in records]
        for mine, theirs in zip(exported[section], records, strict=True):
            assert list(mine) == list(theirs), mine["slug"]


def test_the_export_is_yaml_a_person_reviews(tmp_path):
    export(tmp_path)
    text = (tmp_path / "kb.yaml").read_text(encoding="utf-8")

    assert "{" not in "".join(line.split(":", 1)[0] for line in text.splitlines())  # block style
    assert "      earliest: 2011-06-06\n" in text  # dates as YYYY-MM-DD
    quotes = [line.strip() for line in text.splitlines() if line.strip().startswith(("quote:", "- quote:"))]
    assert quotes and all(line.split(": ", 1)[1].startswith('"') for line in quotes)  # quotes double-quoted
    assert "    note: >-\n" in text  # long prose folded
    assert max(len(line) for line in text.splitlines() if "quote:" not in line and '"' not in line) < 130


# ---------------------------------------------------------------- the round trip


def api_answers(client):
    """Every resource's list and every record's detail (and timeline), as JSON; a citation's
    database id and URL left out, its list in a stable order."""
    answers = {}
    for prefix, _, basename in router.registry:
        if basename == "search":
            # Not a resource of records: a query's hits, asked for a few queries.
            answers[prefix] = [_searched(client, f"{API}{prefix}/", query) for query in SEARCHES]
            continue
        records = []
        url = f"{API}{prefix}/?limit=100"
        while url:
            response = client.get(url)
            assert response.status_code == 200, (url, response.content[:500])
            body = response.json()
            records += body["results"]
            url = body["next"]
        if basename == "citation":
            ids = [record["id"] for record in records]
            records = sorted((_without_id(record) for record in records), key=repr)
        else:
            ids = [record["slug"] for record in records]
        answers[prefix] = records
        details = []
        for key in ids:
            detail = client.get(f"{API}{prefix}/{key}/")
            assert detail.status_code == 200, detail.content[:500]
            details.append(_without_id(detail.json()) if basename == "citation" else detail.json())
            if prefix in TIMELINES:
                timeline = client.get(f"{API}{prefix}/{key}/timeline/?limit=100")
                answers[f"{prefix}/{key}/timeline"] = timeline.json()
        answers[f"{prefix}/*"] = sorted(details, key=repr) if basename == "citation" else details
    return answers


def _searched(client, url, query):
    response = client.get(url, {"q": query, "limit": 100})
    assert response.status_code == 200 and response.json()["count"] > 0, (query, response.content[:500])
    return response.json()


def _without_id(citation):
    return {name: value for name, value in citation.items() if name not in ("id", "url")}


def empty_the_knowledge_base():
    # Raw deletes, parts before what they belong to; a table's references to itself go with it.
    for model in reversed(registry.record_models()):
        model._base_manager.all()._raw_delete(model._base_manager.db)
    LoadedRecord.objects.all()._raw_delete(LoadedRecord.objects.db)
    assert not Position.objects.exists() and not Source.objects.exists()


def build_and_load(folder):
    """What a restart does with a committed export: build the fixture, load it."""
    fixture = folder / "kb.json"
    fixture.write_text(render_fixture(build_fixture(folder / "kb.yaml", folder / "documents")), encoding="utf-8")
    return load_knowledge_base(fixture)


def test_building_and_loading_an_export_into_an_empty_database_gives_the_same_answers(tmp_path, client):
    before = api_answers(client)
    export(tmp_path)

    empty_the_knowledge_base()
    report = build_and_load(tmp_path)

    assert not report.conflicts and not report.kept
    assert api_answers(client) == before


@pytest.fixture
def curator_api():
    curator = User.objects.create_user("curator", password="a-long-enough-password", is_staff=True)
    curator.user_permissions.set(Permission.objects.filter(content_type__app_label="kb"))
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    return api


def curators_edits(api):
    """A role changed, a citation added, a document added with its parts, and a position citing it
    with a voice and a reason: each through the API, as a curator makes them."""
    assert (
        api.patch(f"{API}officials/{QUINN}/", {"role": "Governor of Illinois (2009-2015)"}, format="json").status_code
        == 200
    )

    position = api.get(f"{API}positions/new-york-suspends-ap-version/").json()
    added = {"source": AP, "quote": "Massachusetts isn’t alone in opting out."}
    body = {
        **{name: position[name] for name in ("slug", "stance", "date_earliest", "date_latest", "date_precision")},
        **{name: position[name] for name in ("date_text", "date_basis", "summary", "note")},
        **{
            name: (position[name] or {}).get("slug") for name in ("program", "jurisdiction", "organization", "official")
        },
        "citations": [{"source": c["source"], "quote": c["quote"]} for c in position["citations"]] + [added],
    }
    response = api.put(f"{API}positions/new-york-suspends-ap-version/", body, format="json")
    assert response.status_code == 200, response.content

    assert (
        api.post(
            f"{API}jurisdictions/",
            {
                "slug": "testville",
                "name": "Testville",
                "kind": "city",
                "parent": "massachusetts",
                "ocd_id": "ocd-division/country:us/state:ma/place:testville",
            },
            format="json",
        ).status_code
        == 201
    )
    response = api.post(f"{API}sources/", new_source(), format="json")
    assert response.status_code == 201, response.content

    with_voice_and_reason = new_position(
        voices=[
            {
                "organization": "defenders-of-the-program",
                "citations": [{"source": AP, "quote": "Defenders of the program say"}],
            }
        ],
        reasons=[
            {
                "topic": "federal_role",
                "summary": "Officers should not be doing the federal government's job.",
                "citations": [
                    {"source": NEW_SOURCE, "quote": "Our officers should not be doing the federal government's job"}
                ],
            }
        ],
    )
    response = api.post(f"{API}positions/", with_voice_and_reason, format="json")
    assert response.status_code == 201, response.content


def test_an_export_after_curators_edits_round_trips_them_all(tmp_path, client, curator_api):
    curators_edits(curator_api)
    before = api_answers(client)

    exported = export(tmp_path)

    [quinn] = [official for official in exported["officials"] if official["slug"] == QUINN]
    assert quinn["role"] == "Governor of Illinois (2009-2015)"
    [source] = [source for source in exported["sources"] if source["slug"] == NEW_SOURCE]
    assert source["file"] == f"{NEW_SOURCE}.txt"
    assert source["parts"] == [
        {
            "kind": "reposter_header",
            "quote": "Reposted from the Testville Gazette",
            "author": "",
            "note": "The reposter's line above the article.",
        },
        {"kind": "reader_comments", "from": "Comments", "author": "readers"},
    ]
    assert read_exactly(tmp_path / "documents" / source["file"]) == Source.objects.get(slug=NEW_SOURCE).text
    # What curators added comes after the curated records, which keep their order.
    assert exported["positions"][-1]["slug"] == "testville-refuses-secure-communities"
    assert exported["positions"][-1]["reasons"][0]["topic"] == "federal_role"

    empty_the_knowledge_base()
    build_and_load(tmp_path)

    assert api_answers(client) == before


def test_a_quote_cited_at_a_later_occurrence_is_exported_with_its_occurrence(tmp_path):
    """The build takes a quote's first occurrence outside the non-publisher parts unless told."""
    official = Official.objects.get(slug=QUINN)
    source = Source.objects.get(slug=AP)
    quote = "Secure Communities"
    first = source.find_evidence(quote)
    third = source.find_evidence(quote, source.find_evidence(quote, first + 1) + 1)
    Citation.objects.create(official=official, source=source, quote=quote, start=third, end=third + len(quote))

    exported = export(tmp_path)

    [quinn] = [record for record in exported["officials"] if record["slug"] == QUINN]
    assert quinn["citations"][-1] == {"source": AP, "quote": quote, "occurrence": 3}
    [built] = [
        instance
        for instance in build_fixture(tmp_path / "kb.yaml", tmp_path / "documents")
        if isinstance(instance, Citation) and instance.official is not None and instance.quote == quote
    ]
    assert built.start == third


def test_a_reasons_rank_that_is_not_its_place_in_the_list_is_exported_and_built(tmp_path):
    position = Position.objects.get(slug="new-york-withdraws-2011-06")
    Reason.objects.filter(position=position).update(rank=3)

    exported = export(tmp_path)

    [record] = [record for record in exported["positions"] if record["slug"] == position.slug]
    assert [reason.get("rank") for reason in record["reasons"]] == [3]
    [built] = [
        i
        for i in build_fixture(tmp_path / "kb.yaml", tmp_path / "documents")
        if isinstance(i, Reason) and i.position.slug == position.slug
    ]
    assert built.rank == 3


def test_an_export_that_does_not_build_is_written_and_fails_naming_each_problem(tmp_path):
    # The API accepts an official without a citation; the curated file requires one for every fact.
    Official.objects.create(
        slug="uncited-official",
        name="Uncited Official",
        role="Clerk",
        jurisdiction_id=Official.objects.get(slug=QUINN).jurisdiction_id,
    )

    with pytest.raises(
        CommandError, match=r"do not build \(1 problem\(s\)\)[\s\S]*official 'uncited-official': has no citation"
    ):
        export(tmp_path)

    assert "uncited-official" in (tmp_path / "kb.yaml").read_text(encoding="utf-8")


def test_a_source_whose_file_name_is_not_a_plain_name_is_refused_and_nothing_written(tmp_path):
    Source.objects.filter(slug=AP).update(file_name="../outside.txt")

    with pytest.raises(CommandError, match="not a plain file name"):
        export(tmp_path)

    assert not (tmp_path / "kb.yaml").exists() and not (tmp_path.parent / "outside.txt").exists()


def test_a_document_left_in_the_output_that_no_source_has_is_reported_not_deleted(tmp_path, capsys):
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "999_gone.txt").write_text("A source deleted since.", encoding="utf-8")

    call_command("export_kb", "--output", str(tmp_path))

    assert "999_gone.txt: no source's document (left as it was)" in capsys.readouterr().out
    assert (tmp_path / "documents" / "999_gone.txt").exists()


# ---------------------------------------------------------------- the pieces


@pytest.mark.parametrize(
    "text",
    [
        "plain words",
        "",
        "  leading and trailing spaces  ",
        "a double  space, then a long sentence that goes on and on well past the width of one line of the file",
        "curly “quotes” and ’apostrophes’ — and a dash",
        "a line\nand another\n\nand a paragraph",
        "line ends\r\nfrom a browser",
        "yes",
        "2011-06-06",
        "null",
        "# not a comment",
        "- not a list",
        "key: not a mapping",
        "ends with a colon:",
        "a tab\tinside",
        "\u2028 a line separator",
    ],
)
def test_any_string_reads_back_from_the_export_as_it_was(text):
    data = {"positions": [{"slug": "a", "note": text, "quote": text, "summary": text * 3}]}

    assert yaml.safe_load(dump_yaml(data)) == data


def test_a_part_is_described_as_the_build_locates_it():
    text = "Header\n\nHeader\n\nThe article.\n\nComments\n  1. Header again\n"
    for start, end in ((0, 6), (8, 14), (text.index("Comments"), len(text))):
        described = describe_part(text, start, end)
        quote, marker = described.get("quote"), described.get("from")
        assert locate_part(text, quote, marker, described.get("occurrence")) == (start, end)
    assert describe_part(text, 8, 14) == {"quote": "Header", "occurrence": 2}
    assert describe_part(text, text.index("Comments"), len(text)) == {"from": "Comments"}


def test_dates_in_the_export_are_dates():
    data = {"sources": [{"slug": "a", "published": {"earliest": datetime.date(2011, 6, 6)}}]}

    assert "earliest: 2011-06-06\n" in dump_yaml(data)


def test_loading_the_export_onto_the_database_it_came_from_changes_nothing(tmp_path, curator_api):
    curators_edits(curator_api)
    export(tmp_path)

    report = build_and_load(tmp_path)

    assert not report.conflicts and not report.kept
    outcomes = {outcome for counts in report.counts.values() for outcome, count in counts.items() if count}
    assert outcomes == {"unchanged"}
