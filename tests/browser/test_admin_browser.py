"""The admin in Chromium, as a curator uses it: sign in, find a person, cite a position."""

from urllib.parse import quote_plus

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kb.models import Citation, Position, Source

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.browser

PASSWORD = "a-curator-password-for-tests"
POSITION = "massachusetts-refuses-secure-communities-2011-06-03"
SOURCE = "wbur-mass-wont-join-immigration-check-program"
QUOTE_NOT_IN_SOURCE = "Patrick said Massachusetts would gladly join Secure Communities."
VERBATIM_QUOTE = (
    "In a letter to the U.S. Department of Homeland Security, Massachusetts Public Safety Secretary "
    "Mary Beth Heffernan said Patrick won't sign any memorandum of understanding for the state to join "
    "the federal Secure Communities program."
)
# The inline's blank row for a new citation (not a saved one, nor the template "Add another" copies).
NEW_ROW = "tr.form-row:not(.has_original):not(.empty-form)"


@pytest.fixture
def curator(live_server):
    return User.objects.create_superuser("curator", "curator@example.org", PASSWORD)


@pytest.fixture
def signed_in(live_server, curator, page):
    """The curator, signed in through the login form."""
    page.goto(live_server.url + reverse("admin:index"))
    page.get_by_label("Username").fill(curator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + reverse("admin:index"))
    return page


def search_changelist(page, live_server, model, term):
    page.goto(live_server.url + reverse(f"admin:kb_{model}_changelist"))
    page.locator("#searchbar").fill(term)
    page.locator("#changelist-search").get_by_role("button", name="Search").click()
    page.wait_for_url(f"**/?q={quote_plus(term)}")
    return page.locator("#result_list tbody tr")


def test_a_curator_signs_in(live_server, signed_in):
    expect(signed_in.locator("#user-tools")).to_contain_text("curator")
    expect(signed_in.locator("#content-main")).to_contain_text("Positions")


def test_searching_officials_for_a_variant_spelling_finds_the_person(live_server, knowledge_base, signed_in):
    rows = search_changelist(signed_in, live_server, "official", "Mary E. Heffernan")

    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("Mary Beth Heffernan")


def test_a_citation_is_checked_against_its_source_and_its_offsets_found(
    live_server, knowledge_base, signed_in, docs_screenshot
):
    page = signed_in
    position = Position.objects.get(slug=POSITION)
    source = Source.objects.get(slug=SOURCE)
    cited_before = sorted(position.citations.values_list("quote", flat=True))

    # Open the position from its changelist: its citations are inline.
    rows = search_changelist(page, live_server, "position", "Massachusetts memorandum")
    rows.filter(has_text=position.summary).get_by_role("link").click()
    page.wait_for_url(f"**{reverse('admin:kb_position_change', args=[position.pk])}?*")
    citations = page.locator("#citations-group")
    assert sorted(quotes_in(citations)) == cited_before

    # A quote that is not in the source: the form names the problem, nothing is saved.
    new_row = citations.locator(NEW_ROW).first
    choose_source(page, new_row, source)
    new_row.locator("textarea[name$='-quote']").fill(QUOTE_NOT_IN_SOURCE)
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".errornote")).to_be_visible()
    expect(citations.locator(NEW_ROW).first.locator(".errorlist")).to_have_text(
        f"The quote {QUOTE_NOT_IN_SOURCE!r} is not verbatim in the source's text ({SOURCE})."
    )
    page.wait_for_load_state("networkidle")  # the server is idle before the test queries (conftest.live_server)
    assert sorted(position.citations.values_list("quote", flat=True)) == cited_before

    # The quote as the source has it: saved, its offsets found.
    citations.locator(NEW_ROW).first.locator("textarea[name$='-quote']").fill(VERBATIM_QUOTE)
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".messagelist .success")).to_be_visible()
    page.wait_for_load_state("networkidle")
    citation = Citation.objects.get(position=position, source=source, quote=VERBATIM_QUOTE)
    assert citation.start == source.text.index(VERBATIM_QUOTE)
    assert source.text[citation.start : citation.end] == VERBATIM_QUOTE
    saved_row = citations.locator("tr.has_original").nth(quotes_in(citations).index(VERBATIM_QUOTE))
    expect(saved_row.locator("td.field-start")).to_have_text(str(citation.start))
    expect(saved_row.locator("td.field-end")).to_have_text(str(citation.end))
    saved_row.scroll_into_view_if_needed()
    docs_screenshot(page, "admin")

    # The change is in the history, with who made it: the position's, and the citation's own.
    page.get_by_role("link", name="History").click()
    expect(page.locator("#change-history tbody tr").filter(has_text="curator")).to_contain_text("Changed")
    page.goto(live_server.url + reverse("admin:kb_citation_history", args=[citation.pk]))
    expect(page.locator("#change-history tbody tr").filter(has_text="curator")).to_contain_text("Created")


def quotes_in(citations):
    """The quotes of the saved citations, in the order of their rows."""
    return citations.locator("tr.has_original textarea[name$='-quote']").evaluate_all(
        "quotes => quotes.map(quote => quote.value)"
    )


def choose_source(page, row, source):
    """Pick a source in the row's autocomplete (select2), found by words of its title."""
    row.locator(".field-source .select2-selection").click()
    page.locator(".select2-search__field").fill("Immigration Check")
    page.locator(".select2-results__option", has_text=str(source)).click()
    expect(row.locator(".field-source .select2-selection__rendered")).to_contain_text(str(source))
