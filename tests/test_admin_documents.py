"""Adding a document in the admin: its file uploaded (UTF-8 text only) or its text pasted, with its
parts that are not the publisher's located by their text. The browser test
(tests/browser/test_adding_a_document.py) then cites it; these check each refusal's words."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kb.models import Source
from tests.test_adding_documents import COMMENTS, HEADER, SLUG, TEXT

ADD = reverse("admin:kb_source_add")
PREFIX = "parts"

pytestmark = pytest.mark.usefixtures("knowledge_base")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("curator", "curator@example.org", "a-long-enough-password"))
    return client


def form(parts=(), **fields):
    data = {
        "slug": SLUG,
        "title": "Forum hears both sides on Secure Communities",
        "publisher": "Testville Gazette",
        "authors": '["A. Tester"]',
        "kind": "news_article",
        "published_earliest": "2011-06-07",
        "published_latest": "2011-06-07",
        "published_precision": "day",
        "published_text": "Tuesday, June 7, 2011",
        "note": "",
        "file_name": "",
        "text": "",
        f"{PREFIX}-TOTAL_FORMS": str(len(parts)),
        f"{PREFIX}-INITIAL_FORMS": "0",
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    for index, part in enumerate(parts):
        data.update({f"{PREFIX}-{index}-{name}": value for name, value in part.items()})
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


COMMENTS_PART = {"kind": "reader_comments", "located_by": COMMENTS, "to_the_end": "on", "author": "readers"}


def document(content=None, name="testville-forum.txt"):
    return SimpleUploadedFile(name, TEXT.encode() if content is None else content, content_type="text/plain")


def errors_of(response):
    """The form's and the inline's errors, as the page shows them."""
    assert response.status_code == 200, response.status_code
    errors = dict(response.context["adminform"].form.errors)
    for inline in response.context["inline_admin_formsets"]:
        for index, inline_errors in enumerate(inline.formset.errors):
            errors.update({f"{PREFIX}-{index}-{name}": messages for name, messages in inline_errors.items()})
        if inline.formset.non_form_errors():
            errors[PREFIX] = inline.formset.non_form_errors()
    return {name: " ".join(messages) for name, messages in errors.items()}


def test_an_uploaded_document_is_added_with_its_file_name_and_its_reader_comments_located(admin_client):
    response = admin_client.post(
        ADD, form([COMMENTS_PART], document_file=document(TEXT.replace("\n", "\r\n").encode()))
    )

    assert response.status_code == 302, errors_of(response)
    source = Source.objects.get(slug=SLUG)
    assert source.text == TEXT
    assert source.file_name == "testville-forum.txt"
    [part] = source.parts.all()
    assert (part.kind, part.start, part.end, part.author) == (
        "reader_comments",
        TEXT.index(COMMENTS + "\n"),
        len(TEXT),
        "readers",
    )


def test_pasted_text_is_added_under_its_slug_with_a_part_given_by_its_quote(admin_client):
    header = {"kind": "reposter_header", "located_by": HEADER, "author": "", "note": ""}

    response = admin_client.post(ADD, form([header, COMMENTS_PART], text=TEXT.replace("\n", "\r\n")))

    assert response.status_code == 302, errors_of(response)
    source = Source.objects.get(slug=SLUG)
    assert (source.text, source.file_name) == (TEXT, f"{SLUG}.txt")
    assert [(part.kind, part.start, part.end) for part in source.parts.all()] == [
        ("reposter_header", 0, len(HEADER)),
        ("reader_comments", TEXT.index(COMMENTS + "\n"), len(TEXT)),
    ]


@pytest.mark.parametrize(
    ("fields", "parts", "field", "words"),
    [
        ({"document_file": document("Caf\xe9 au lait".encode("latin-1"))}, [], "document_file", "not UTF-8"),
        ({"document_file": document("Two bytes a letter".encode("utf-16"))}, [], "document_file", "UTF-16"),
        ({"document_file": document(b"GIF89a\x01\x00\x01\x00\x00\xff")}, [], "document_file", "binary"),
        ({"document_file": document(name="forum.docx")}, [], "document_file", ".txt"),
        ({"document_file": document(), "text": TEXT}, [], "document_file", "not both"),
        ({}, [], "text", "Paste the document's text, or upload its file"),
        ({"text": "A bell \x07 rings"}, [], "text", "binary"),
        ({"text": TEXT, "file_name": "../outside.txt"}, [], "file_name", "not a plain file name"),
        ({"text": TEXT, "file_name": "002_dd0249cc5e7d2567.txt"}, [], "file_name", "already exists"),
        ({"text": TEXT, "published_text": ""}, [], "published_text", "words of its text that date it"),
        ({"text": TEXT}, [{**COMMENTS_PART, "located_by": "Letters"}], f"{PREFIX}-0-located_by", "not in the document"),
        ({"text": TEXT}, [{**COMMENTS_PART, "occurrence": "2"}], f"{PREFIX}-0-occurrence", "occurs 1 time"),
        ({"text": TEXT, "published_text": "Comments"}, [COMMENTS_PART], PREFIX, "lie only in a part"),
        ({"text": TEXT}, [COMMENTS_PART, COMMENTS_PART], PREFIX, "same place"),
    ],
)
def test_a_bad_document_is_refused_with_a_form_error_naming_the_field(admin_client, fields, parts, field, words):
    response = admin_client.post(ADD, form(parts, **fields))

    errors = errors_of(response)
    assert words in errors.get(field, ""), errors
    assert not Source.objects.filter(slug=SLUG).exists()


def test_the_add_form_offers_the_upload_and_the_change_form_the_text_as_read_only(admin_client):
    add = admin_client.get(ADD).content.decode()
    assert 'name="document_file"' in add and 'enctype="multipart/form-data"' in add
    assert 'name="parts-0-located_by"' in add

    change = admin_client.get(
        reverse("admin:kb_source_change", args=[Source.objects.get(file_name="002_dd0249cc5e7d2567.txt").pk])
    )
    page = change.content.decode()
    assert 'name="document_file"' not in page and 'name="parts-0-start"' in page
