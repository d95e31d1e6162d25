"""Adding a document through the API: its text (JSON) or its file (multipart), its parts that are
not the publisher's located by their text, then cited at once with offsets found from the quote.

The document is tests/documents/testville-forum.txt, written for these tests (it is not in the
knowledge base): a reposter's header line, an article, and reader comments that repeat one of
its sentences and add one of their own.
"""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kb.models import Jurisdiction, Source
from tests.api_helpers import API, assert_error

DOCUMENT = Path(__file__).resolve().parent / "documents" / "testville-forum.txt"
TEXT = DOCUMENT.read_text(encoding="utf-8")
HEADER = "Reposted from the Testville Gazette"
COMMENTS = "Comments"
IN_THE_ARTICLE_AND_THE_COMMENTS = "the town would not seek to join the program"
ONLY_IN_THE_COMMENTS = "neither should the state"
SLUG = "testville-gazette-forum"

pytestmark = pytest.mark.usefixtures("knowledge_base")


@pytest.fixture
def token_api(knowledge_base):
    curator = User.objects.create_user("curator", password="a-long-enough-password", is_staff=True)
    curator.user_permissions.set(Permission.objects.filter(content_type__app_label="kb"))
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    return client


@pytest.fixture
def testville(knowledge_base):
    return Jurisdiction.objects.create(
        slug="testville",
        name="Testville",
        kind="city",
        parent=Jurisdiction.objects.get(slug="massachusetts"),
        ocd_id="ocd-division/country:us/state:ma/place:testville",
    )


def new_source(**changes):
    body = {
        "slug": SLUG,
        "title": "Forum hears both sides on Secure Communities",
        "publisher": "Testville Gazette",
        "authors": ["A. Tester"],
        "kind": "news_article",
        "published_earliest": "2011-06-07",
        "published_latest": "2011-06-07",
        "published_precision": "day",
        "published_text": "Tuesday, June 7, 2011",
        "text": TEXT,
        "parts": [
            {"kind": "reposter_header", "quote": HEADER, "note": "The reposter's line above the article."},
            {"kind": "reader_comments", "from": COMMENTS, "author": "readers"},
        ],
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def new_position(**changes):
    body = {
        "slug": "testville-refuses-secure-communities",
        "program": "secure-communities",
        "jurisdiction": "testville",
        "stance": "refuses",
        "date_earliest": "2011-06-06",
        "date_latest": "2011-06-06",
        "date_precision": "day",
        "date_text": "on Monday night",
        "summary": "Testville's council president said the town would not seek to join the program.",
        "citations": [
            {"source": SLUG, "quote": "Residents filled the public library on Monday night"},
            {"source": SLUG, "quote": IN_THE_ARTICLE_AND_THE_COMMENTS},
        ],
    }
    body.update(changes)
    return body


def post_source(api, body):
    return api.post(f"{API}sources/", body, format="json")


def upload(api, content=None, name="testville-forum.txt", **fields):
    form = {
        "slug": SLUG,
        "kind": "news_article",
        "published_earliest": "2011-06-07",
        "published_latest": "2011-06-07",
        "published_precision": "day",
        "published_text": "Tuesday, June 7, 2011",
        "authors": ["A. Tester"],
        "parts": json.dumps([{"kind": "reader_comments", "from": COMMENTS}]),
        "file": SimpleUploadedFile(name, TEXT.encode() if content is None else content, content_type="text/plain"),
        **fields,
    }
    return api.post(f"{API}sources/", {name: value for name, value in form.items() if value is not None})


def test_a_source_posted_with_its_text_has_its_parts_located_by_their_text(token_api):
    response = post_source(token_api, new_source())

    assert response.status_code == 201, response.content
    body = response.json()
    comments_start = TEXT.index(COMMENTS + "\n")
    assert [(part["kind"], part["start"], part["end"], part["author"]) for part in body["parts"]] == [
        ("reposter_header", 0, len(HEADER), ""),
        ("reader_comments", comments_start, len(TEXT), "readers"),
    ]
    assert body["text"] == TEXT
    assert body["file_name"] == f"{SLUG}.txt"
    assert token_api.get(f"{API}sources/{SLUG}/").json()["parts"] == body["parts"]


def test_a_new_source_is_cited_at_once_outside_its_reader_comments(token_api, testville):
    post_source(token_api, new_source())

    in_comments = new_position(citations=[{"source": SLUG, "quote": ONLY_IN_THE_COMMENTS}])
    refused = token_api.post(f"{API}positions/", in_comments, format="json")
    assert_error(refused, 400, "citations.0.quote")
    assert "parts that are not the publisher's" in refused.json()["errors"]["citations.0.quote"][0]

    created = token_api.post(f"{API}positions/", new_position(), format="json")
    assert created.status_code == 201, created.content
    [_, citation] = created.json()["citations"]
    # The sentence is in the article and again in a comment: the article's occurrence is cited.
    assert citation["start"] == TEXT.index(IN_THE_ARTICLE_AND_THE_COMMENTS)
    assert citation["start"] < TEXT.index(COMMENTS + "\n")
    assert TEXT[citation["start"] : citation["end"]] == IN_THE_ARTICLE_AND_THE_COMMENTS


def test_a_document_uploaded_as_a_file_is_stored_as_its_text_under_its_file_name(token_api):
    response = upload(token_api, content=TEXT.replace("\n", "\r\n").encode())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["file_name"] == "testville-forum.txt"
    assert body["authors"] == ["A. Tester"]
    assert body["text"] == TEXT  # line ends stored as \n, as the build reads a document's file
    assert [(part["kind"], part["start"], part["end"]) for part in body["parts"]] == [
        ("reader_comments", TEXT.index(COMMENTS + "\n"), len(TEXT))
    ]
    assert Source.objects.get(slug=SLUG).text == TEXT


def test_an_upload_with_a_file_name_keeps_the_given_one(token_api):
    response = upload(token_api, file_name="005_testville-forum.txt")

    assert response.status_code == 201, response.content
    assert response.json()["file_name"] == "005_testville-forum.txt"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": None}, "text"),
        ({"text": ""}, "text"),
        ({"text": " \n "}, "text"),
        ({"text": "Binary\x00text"}, "text"),
        ({"text": "A bell \x07 rings"}, "text"),
        ({"parts": [{"kind": "reader_comments", "quote": "Not in the document at all"}]}, "parts.0.quote"),
        ({"parts": [{"kind": "reader_comments", "from": "Letters to the editor"}]}, "parts.0.from"),
        ({"parts": [{"kind": "reader_comments", "from": COMMENTS, "occurrence": 3}]}, "parts.0.occurrence"),
        ({"parts": [{"kind": "reader_comments", "from": COMMENTS, "quote": HEADER}]}, "parts.0.from"),
        ({"parts": [{"kind": "reader_comments"}]}, "parts.0.quote"),
        ({"parts": [{"kind": "reader_comments", "start": 5}]}, "parts.0.end"),
        ({"parts": [{"kind": "reader_comments", "start": 5, "end": 10**6}]}, "parts.0.end"),
        ({"parts": [{"kind": "marginalia", "quote": HEADER}]}, "parts.0.kind"),
        ({"parts": [{"kind": "reposter_header", "quote": HEADER, "colour": "red"}]}, "parts.0.colour"),
        (
            {"parts": [{"kind": "reposter_header", "quote": HEADER}, {"kind": "call_to_action", "quote": HEADER}]},
            "parts",
        ),
        ({"file_name": "../../outside.txt"}, "file_name"),
        ({"file_name": ".hidden.txt"}, "file_name"),
        ({"file_name": "002_dd0249cc5e7d2567.txt"}, "file_name"),  # the AP document's
        ({"published_text": "Comments"}, "published_text"),  # words of the readers', not the publisher's
        ({"published_text": ""}, "published_text"),  # a dated source shows where it dates itself
    ],
)
def test_bad_input_for_a_new_source_is_a_400_naming_the_field_and_nothing_is_written(token_api, changes, field):
    response = post_source(token_api, new_source(**changes))

    assert_error(response, 400, field)
    assert not Source.objects.filter(slug=SLUG).exists()


@pytest.mark.parametrize(
    ("upload_arguments", "field", "words"),
    [
        ({"content": "Caf\xe9 au lait".encode("latin-1")}, "file", "not UTF-8"),
        ({"content": "Two bytes a letter".encode("utf-16")}, "file", "not UTF-8"),
        ({"content": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"}, "file", "binary"),
        ({"content": b""}, "file", "empty"),
        ({"name": "forum.pdf"}, "file", ".txt"),
        ({"text": TEXT}, "file", "not both"),
        ({"parts": "[{kind: reader_comments"}, "parts", "JSON list"),
        ({"parts": '{"kind": "reader_comments"}'}, "parts", "JSON list"),
        (
            {"parts": json.dumps([{"kind": "reader_comments", "quote": "nowhere to be found"}])},
            "parts.0.quote",
            "verbatim",
        ),
    ],
)
def test_a_bad_upload_is_a_400_naming_the_field(token_api, upload_arguments, field, words):
    response = upload(token_api, **upload_arguments)

    assert_error(response, 400, field)
    assert words in " ".join(response.json()["errors"][field])
    assert not Source.objects.filter(slug=SLUG).exists()


def test_a_part_laid_over_a_citation_is_refused(token_api, testville):
    post_source(token_api, new_source(parts=[]))
    assert token_api.post(f"{API}positions/", new_position(), format="json").status_code == 201
    source = token_api.get(f"{API}sources/{SLUG}/").json()

    # The article's sentence is cited: a part covering it would make a citation of a reader's words.
    covering = {
        "kind": "call_to_action",
        "quote": f"Council President Pat Example said {IN_THE_ARTICLE_AND_THE_COMMENTS}",
    }
    response = token_api.put(f"{API}sources/{SLUG}/", {**put_body(source), "parts": [covering]}, format="json")

    assert_error(response, 400, "parts.0.quote")
    assert "citation(s) quote this span" in response.json()["errors"]["parts.0.quote"][0]
    assert Source.objects.get(slug=SLUG).parts.count() == 0


def test_a_get_of_a_source_sent_back_with_put_keeps_its_parts(token_api):
    before = post_source(token_api, new_source()).json()

    response = token_api.put(f"{API}sources/{SLUG}/", put_body(before), format="json")

    assert response.status_code == 200, response.content
    assert response.json()["parts"] == before["parts"]


def test_put_replaces_the_parts_with_those_given(token_api):
    before = post_source(token_api, new_source()).json()

    body = {**put_body(before), "parts": [{"kind": "reader_comments", "from": COMMENTS, "author": "readers"}]}
    response = token_api.put(f"{API}sources/{SLUG}/", body, format="json")

    assert response.status_code == 200, response.content
    assert [part["kind"] for part in response.json()["parts"]] == ["reader_comments"]


def test_a_source_is_changed_with_json_only(token_api):
    post_source(token_api, new_source())

    response = token_api.put(f"{API}sources/{SLUG}/", {"file": SimpleUploadedFile("x.txt", b"x")})

    assert_error(response, 415)


def test_the_schema_documents_both_ways_of_adding_a_source(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    bodies = schema["paths"][f"{API}sources/"]["post"]["requestBody"]["content"]
    components = schema["components"]["schemas"]

    as_json = components[bodies["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert {"text", "parts"} <= set(as_json["properties"]) and "text" in as_json["required"]
    part = components[as_json["properties"]["parts"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert {"kind", "quote", "from", "occurrence", "start", "end", "author", "note"} == set(part["properties"])

    upload_form = components[bodies["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert upload_form["properties"]["file"] == {**upload_form["properties"]["file"], "format": "binary"}
    assert "text" not in upload_form["properties"] and "file" in upload_form["required"]
    put_bodies = schema["paths"][f"{API}sources/{{slug}}/"]["put"]["requestBody"]["content"]
    assert set(put_bodies) == {"application/json"}


def put_body(source):
    """A GET of a source as a PUT body: references by slug."""
    body = {name: value for name, value in source.items() if name not in ("url", "published_edtf")}
    body["derived_from"] = source["derived_from"]["slug"] if source["derived_from"] else None
    return body
