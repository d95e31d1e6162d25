"""ReDoc at /api/redoc/, in Chromium: it renders every operation of the schema."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.browser


def operation_ids():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (operation["tags"][0], operation["operationId"])
        for path in schema["paths"].values()
        for operation in path.values()
    )


def test_redoc_renders_every_operation(live_server, page, traffic):
    operations = operation_ids()
    page.goto(live_server.url + reverse("redoc"))
    positions_list = page.locator("[id='tag/positions/operation/positions_list']")
    positions_list.wait_for()

    rendered = page.locator("[id*='/operation/']").evaluate_all("sections => sections.map(section => section.id)")
    assert sorted(rendered) == sorted(f"tag/{tag}/operation/{operation_id}" for tag, operation_id in operations)
    assert positions_list.locator("h2").inner_text() == "List positions"
    sidebar = page.locator("li[data-item-id^='tag/']:not([data-item-id*='/operation/'])")
    assert sorted(sidebar.evaluate_all("items => items.map(item => item.dataset.itemId)")) == sorted(
        {f"tag/{tag}" for tag, _ in operations}
    )
    assert traffic.page_errors == []


def test_redoc_makes_no_request_off_the_machine(live_server, page, traffic):
    page.goto(live_server.url + reverse("redoc"))
    page.locator("[id='tag/positions/operation/positions_list']").wait_for()
    page.wait_for_load_state("networkidle")

    assert traffic.off_the_machine() == []
    # ReDoc's bundle hard-codes its maker's logo from a CDN: the page's policy has Chromium refuse it.
    assert traffic.refused_by_policy == ["https://cdn.redoc.ly/redoc/logo-mini.svg"]
