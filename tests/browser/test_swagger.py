"""Swagger UI at /api/docs/, in Chromium: it loads from this server alone, and "Try it out" works."""

import json

import pytest
from django.urls import reverse

from kb.models import Position, Stance

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.browser

RESOURCES = ["citations", "facts", "jurisdictions", "officials", "organizations", "positions", "programs", "sources"]
# Endpoints that are not lists of records: the change feed and the downloads.
OTHER_TAGS = ["changes", "export"]


def open_swagger_ui(page, live_server):
    page.goto(live_server.url + reverse("swagger-ui"))
    page.locator(".swagger-ui .opblock").first.wait_for()


def try_out(page, tag, operation_id):
    """Expand an operation and switch it to "Try it out"; returns the operation's block."""
    operation = page.locator(f"#operations-{tag}-{operation_id}")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    return operation


def execute(operation):
    """Press Execute; returns the status cell and the body Swagger UI shows for the answer."""
    operation.locator("button.execute").click()
    response = operation.locator(".live-responses-table .response").first
    body = response.locator(".response-col_description pre").first
    body.wait_for()
    return response.locator(".response-col_status").inner_text().strip(), json.loads(body.inner_text())


def test_swagger_ui_loads_with_no_request_leaving_the_machine(live_server, page, traffic):
    open_swagger_ui(page, live_server)
    page.wait_for_load_state("networkidle")

    assert traffic.requests, "the page made no request at all"
    assert traffic.off_the_machine() == []
    assert traffic.failures == []
    assert traffic.page_errors == []
    # The assets and the schema all came from this server.
    assert any(url.endswith("/swagger-ui-bundle.js") for url in traffic.requests)
    assert live_server.url + reverse("schema") in traffic.requests


def test_swagger_ui_shows_every_resource_and_its_operations(live_server, page):
    open_swagger_ui(page, live_server)

    tags = page.locator(".swagger-ui .opblock-tag").evaluate_all("tags => tags.map(tag => tag.dataset.tag)")
    assert sorted(tags) == sorted([*RESOURCES, *OTHER_TAGS, "search"])
    expect(page.locator("#operations-search-search")).to_be_attached()
    for resource in RESOURCES:
        section = page.locator(f".opblock-tag-section:has(.opblock-tag[data-tag='{resource}'])")
        expect(section.locator(f"#operations-{resource}-{resource}_list")).to_be_visible()
        expect(section.locator(f"#operations-{resource}-{resource}_retrieve")).to_be_visible()


def test_try_it_out_lists_the_positions_of_a_stance(live_server, knowledge_base, page, docs_screenshot):
    refusals = list(Position.objects.filter(stance=Stance.REFUSES).values_list("slug", flat=True))
    assert "massachusetts-refuses-secure-communities-2011-06-03" in refusals
    open_swagger_ui(page, live_server)
    operation = try_out(page, "positions", "positions_list")

    operation.locator("tr[data-param-name='stance'] select").select_option(Stance.REFUSES)
    status, body = execute(operation)

    assert status == "200"
    expect(operation.locator(".request-url")).to_contain_text("stance=refuses")
    assert body["count"] == len(refusals)
    assert sorted(position["slug"] for position in body["results"]) == sorted(refusals)
    assert {position["stance"] for position in body["results"]} == {Stance.REFUSES}

    operation.locator("button.execute").evaluate("button => button.scrollIntoView()")  # then the answer below it
    docs_screenshot(page, "swagger-ui")


def test_try_it_out_shows_the_api_error_for_an_invalid_date(live_server, page):
    open_swagger_ui(page, live_server)
    operation = try_out(page, "positions", "positions_list")

    operation.locator("tr[data-param-name='date_after'] input").fill("2011-13-01")
    status, body = execute(operation)

    assert status == "400"
    assert body["errors"] == {"date_after": ["Enter a real date written YYYY-MM-DD."]}
    expect(operation.locator(".live-responses-table")).to_contain_text("Enter a real date written YYYY-MM-DD.")
