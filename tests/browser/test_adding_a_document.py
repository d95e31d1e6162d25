"""A curator adds a new document in Chromium and cites it at once: upload it in the admin with its
reader comments (a file that is not UTF-8 is refused first), add a position citing it (a quote
that is only in the comments is refused; a verbatim one gets its offsets, beside the quote its
date words are in), then read both through the API.

The document is tests/documents/testville-forum.txt, written for the tests (not in the knowledge
base); the town it reports on is added for the test.
"""

import pytest
from django.urls import reverse

from kb.models import Citation, Jurisdiction, Position, Source
from tests.browser.test_admin_browser import NEW_ROW, curator, signed_in  # noqa: F401, F811  (fixtures)
from tests.test_adding_documents import COMMENTS, DOCUMENT, IN_THE_ARTICLE_AND_THE_COMMENTS, ONLY_IN_THE_COMMENTS, TEXT

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.browser

SOURCE = "testville-gazette-forum"
TITLE = "Forum hears both sides on Secure Communities"
POSITION = "testville-refuses-secure-communities"
DATE_TEXT = "on Monday night"
# A position's date words are verbatim in one of its own quotes (kb.models.positions.evidence_errors).
DATED_QUOTE = f"Residents filled the public library {DATE_TEXT}"


@pytest.fixture
def testville(live_server, knowledge_base):
    return Jurisdiction.objects.create(
        slug="testville",
        name="Testville",
        kind="city",
        parent=Jurisdiction.objects.get(slug="massachusetts"),
        ocd_id="ocd-division/country:us/state:ma/place:testville",
    )


def choose(page, row, field, search, option):
    """Pick a record in a select2 autocomplete, found by words of its name."""
    row.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=option).click()
    expect(row.locator(f".field-{field} .select2-selection__rendered")).to_contain_text(option)


def save(page):
    page.get_by_role("button", name="Save and continue editing").click()


def test_a_curator_uploads_a_document_and_cites_it_at_once(live_server, testville, signed_in, tmp_path):  # noqa: F811
    page = signed_in
    page.goto(live_server.url + reverse("admin:kb_source_add"))

    # The slug first: typed by hand, the title's words no longer fill it in (the admin's prepopulate).
    page.locator("#id_slug").fill(SOURCE)
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_publisher").fill("Testville Gazette")
    page.locator("#id_authors").fill('["A. Tester"]')
    page.locator("#id_kind").select_option("news_article")
    page.locator("#id_published_earliest").fill("2011-06-07")
    page.locator("#id_published_latest").fill("2011-06-07")
    page.locator("#id_published_precision").select_option("day")
    page.locator("#id_published_text").fill("Tuesday, June 7, 2011")
    page.locator("#id_parts-0-kind").select_option("reader_comments")
    page.locator("#id_parts-0-located_by").fill(COMMENTS)
    page.locator("#id_parts-0-to_the_end").check()
    page.locator("#id_parts-0-author").fill("readers")

    # A file saved in another encoding: refused, with the reason, and nothing saved.
    windows_1252 = tmp_path / "testville-forum.txt"
    windows_1252.write_bytes(TEXT.replace("Testville", "Testvillé").encode("cp1252"))
    page.locator("#id_document_file").set_input_files(windows_1252)
    save(page)
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-document_file .errorlist")).to_contain_text("This file is not UTF-8 text")
    page.wait_for_load_state("networkidle")  # the server is idle before the test queries (conftest.live_server)
    assert not Source.objects.filter(slug=SOURCE).exists()

    # The UTF-8 file: saved under its own name, its reader comments greyed as never evidence.
    page.locator("#id_document_file").set_input_files(DOCUMENT)
    save(page)
    expect(page.locator(".messagelist .success")).to_be_visible()
    comments_start = TEXT.index(COMMENTS + "\n")
    expect(page.locator("#id_parts-0-start")).to_have_value(str(comments_start))
    expect(page.locator("#id_parts-0-end")).to_have_value(str(len(TEXT)))
    expect(page.locator(".field-file_name .readonly")).to_have_text("testville-forum.txt")
    page.wait_for_load_state("networkidle")
    source = Source.objects.get(slug=SOURCE)
    assert source.text == TEXT

    # A position citing it, added at once.
    page.goto(live_server.url + reverse("admin:kb_position_add"))
    page.locator("#id_slug").fill(POSITION)
    page.locator("#id_summary").fill("Testville's council president said the town would not seek to join the program.")
    form = page.locator("#position_form")
    choose(page, form, "program", "Secure", "Secure Communities")
    page.locator("#id_stance").select_option("refuses")
    choose(page, form, "jurisdiction", "Testville", "Testville")
    page.locator("#id_date_earliest").fill("2011-06-06")
    page.locator("#id_date_latest").fill("2011-06-06")
    page.locator("#id_date_precision").select_option("day")
    page.locator("#id_date_text").fill(DATE_TEXT)
    citations = page.locator("#citations-group")
    row = citations.locator(NEW_ROW).first
    choose(page, row, "source", "Forum hears", TITLE)
    page.get_by_role("button", name="Add another Citation").click()
    dated_row = citations.locator(NEW_ROW).nth(1)
    choose(page, dated_row, "source", "Forum hears", TITLE)
    dated_row.locator("textarea[name$='-quote']").fill(DATED_QUOTE)

    # Words that are only in the reader comments: refused, nothing saved.
    row.locator("textarea[name$='-quote']").fill(ONLY_IN_THE_COMMENTS)
    save(page)
    expect(page.locator(".errornote")).to_be_visible()
    expect(citations.locator(NEW_ROW).first.locator(".errorlist")).to_contain_text(
        "is only in parts that are not the publisher's"
    )
    page.wait_for_load_state("networkidle")
    assert not Position.objects.filter(slug=POSITION).exists()

    # The article's words (a reader repeats them too): saved, at the article's offsets.
    citations.locator(NEW_ROW).first.locator("textarea[name$='-quote']").fill(IN_THE_ARTICLE_AND_THE_COMMENTS)
    save(page)
    expect(page.locator(".messagelist .success")).to_be_visible()
    dated_start, start = TEXT.index(DATED_QUOTE), TEXT.index(IN_THE_ARTICLE_AND_THE_COMMENTS)
    saved_rows = citations.locator("tr.has_original")  # in the text's order
    expect(saved_rows).to_have_count(2)
    expect(saved_rows.nth(0).locator("td.field-start")).to_have_text(str(dated_start))
    expect(saved_rows.nth(1).locator("td.field-start")).to_have_text(str(start))
    expect(saved_rows.nth(1).locator("td.field-end")).to_have_text(str(start + len(IN_THE_ARTICLE_AND_THE_COMMENTS)))
    page.wait_for_load_state("networkidle")
    assert {citation.source for citation in Citation.objects.filter(position__slug=POSITION)} == {source}

    # Both, through the API.
    position = page.request.get(f"{live_server.url}/api/v1/positions/{POSITION}/").json()
    assert [(c["source"], c["quote"], c["start"]) for c in position["citations"]] == [
        (SOURCE, DATED_QUOTE, dated_start),
        (SOURCE, IN_THE_ARTICLE_AND_THE_COMMENTS, start),
    ]
    assert start < comments_start
    document = page.request.get(f"{live_server.url}/api/v1/sources/{SOURCE}/").json()
    assert [(part["kind"], part["start"], part["end"]) for part in document["parts"]] == [
        ("reader_comments", comments_start, len(TEXT))
    ]
    assert document["file_name"] == "testville-forum.txt" and document["text"] == TEXT
