"""Every way a request can be wrong, and the one error body each gets: {status, code, detail, errors},
with `errors` naming the offending parameter and saying what is accepted. Never a 500.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import resolve
from rest_framework.authtoken.models import Token

from tests.api_helpers import API, RESOURCES, assert_error, curated, get, page

LONG_SEARCH = "a" * 501

# (path, params, the parameter `errors` must name)
BAD_PARAMETERS = [
    # malformed dates
    ("positions/", {"date_after": "2011-13-01"}, "date_after"),
    ("positions/", {"date_before": "2011/06/06"}, "date_before"),
    ("positions/", {"as_of": "yesterday"}, "as_of"),
    ("positions/", {"as_of": "2011-02-30"}, "as_of"),
    ("sources/", {"published_after": "June 2011"}, "published_after"),
    ("sources/", {"published_before": "2011"}, "published_before"),
    ("jurisdictions/massachusetts/timeline/", {"as_of": "2011-06-31"}, "as_of"),
    # unknown choices
    ("positions/", {"stance": "maybe"}, "stance"),
    ("positions/", {"stance": ["refuses", "maybe"]}, "stance"),
    ("positions/", {"stance": "Refuses"}, "stance"),
    ("positions/", {"date_precision": "fortnight"}, "date_precision"),
    ("positions/", {"date_precision": "Week"}, "date_precision"),
    ("positions/", {"disputed": "maybe"}, "disputed"),
    ("positions/", {"disputed": "1"}, "disputed"),
    ("positions/", {"reason_topic": "vibes"}, "reason_topic"),
    ("positions/", {"reason_topic": ["cost", "vibes"]}, "reason_topic"),
    ("jurisdictions/", {"kind": "county"}, "kind"),
    ("organizations/", {"kind": "church"}, "kind"),
    ("sources/", {"kind": "tweet"}, "kind"),
    # unknown slugs in filters
    ("positions/", {"program": "e-verify"}, "program"),
    ("positions/", {"jurisdiction": "texas"}, "jurisdiction"),
    ("positions/", {"official": "nobody"}, "official"),
    ("positions/", {"organization": "nobody"}, "organization"),
    ("positions/", {"source": "nowhere"}, "source"),
    ("positions/", {"voiced_by": "nobody"}, "voiced_by"),
    ("positions/", {"voiced_by_organization": "nobody"}, "voiced_by_organization"),
    ("officials/", {"jurisdiction": "texas"}, "jurisdiction"),
    ("officials/", {"organization": "nobody"}, "organization"),
    ("jurisdictions/", {"parent": "texas"}, "parent"),
    ("organizations/", {"jurisdiction": "texas"}, "jurisdiction"),
    ("programs/", {"agency": "nobody"}, "agency"),
    ("jurisdictions/massachusetts/timeline/", {"program": "e-verify"}, "program"),
    ("officials/deval-patrick/timeline/", {"program": "e-verify"}, "program"),
    ("organizations/centro-presente/timeline/", {"disputed": "maybe"}, "disputed"),
    # paging
    ("positions/", {"limit": "abc"}, "limit"),
    ("positions/", {"limit": "1.5"}, "limit"),
    ("positions/", {"limit": "0"}, "limit"),
    ("positions/", {"limit": "-1"}, "limit"),
    ("positions/", {"limit": "101"}, "limit"),
    ("positions/", {"offset": "-1"}, "offset"),
    ("positions/", {"offset": "abc"}, "offset"),
    ("sources/", {"limit": "1000"}, "limit"),
    ("officials/deval-patrick/timeline/", {"limit": "0"}, "limit"),
    # expansions
    ("positions/", {"expand": "bogus"}, "expand"),
    ("positions/", {"expand": "program,bogus"}, "expand"),
    ("positions/", {"expand": "citations"}, "expand"),
    ("positions/", {"expand": "event"}, "expand"),  # written inline always: not a reference
    ("positions/", {"expand": "voices"}, "expand"),
    ("jurisdictions/", {"expand": "agency"}, "expand"),
    ("sources/", {"expand": "publisher"}, "expand"),
    ("sources/", {"expand": "parts"}, "expand"),
    ("positions/boston-participates-2011/", {"expand": "source"}, "expand"),
    ("jurisdictions/massachusetts/timeline/", {"expand": "parent"}, "expand"),
    # unknown query parameters, on lists, details and timelines
    ("positions/", {"foo": "1"}, "foo"),
    ("positions/", {"jurisdictions": "massachusetts"}, "jurisdictions"),
    ("positions/", {"page": "2"}, "page"),
    ("sources/", {"q": "Menino"}, "q"),
    ("officials/", {"stance": "refuses"}, "stance"),
    ("programs/secure-communities/", {"limit": "2"}, "limit"),
    ("positions/boston-participates-2011/", {"stance": "refuses"}, "stance"),
    ("officials/deval-patrick/timeline/", {"foo": "1"}, "foo"),
    # too-long search
    ("positions/", {"search": LONG_SEARCH}, "search"),
    ("sources/", {"search": LONG_SEARCH}, "search"),
    # ordering
    ("positions/", {"ordering": "summary"}, "ordering"),
    ("positions/", {"ordering": "-"}, "ordering"),
    ("positions/", {"ordering": "date"}, "ordering"),  # the old single date
    ("sources/", {"ordering": "published_on"}, "ordering"),
    ("programs/", {"ordering": "started_on"}, "ordering"),
    # the old single dates of sources, as filters
    ("sources/", {"published_on": "2011-06-06"}, "published_on"),
]


def _id(case):
    path, params, _ = case
    return f"{path}?{'&'.join(f'{name}={value}'[:40] for name, value in params.items())}"


@pytest.mark.parametrize(("path", "params", "field"), BAD_PARAMETERS, ids=[_id(case) for case in BAD_PARAMETERS])
def test_a_bad_parameter_is_a_400_naming_it(knowledge_base, api, path, params, field):
    body = assert_error(get(api, path, params), 400, field, code="invalid")

    assert field in body["detail"]


def test_several_bad_parameters_are_all_named(knowledge_base, api):
    body = assert_error(get(api, "positions/", {"stance": "maybe", "as_of": "soon", "program": "x"}), 400)

    assert set(body["errors"]) == {"stance", "as_of", "program"}


def test_an_unknown_stance_error_lists_the_seven_stances(knowledge_base, api):
    body = assert_error(get(api, "positions/", {"stance": "maybe"}), 400, "stance")
    [message] = body["errors"]["stance"]

    for stance in (
        "supports",
        "opposes",
        "participates",
        "will_join",
        "refuses",
        "withdraws",
        "considering_withdrawal",
    ):
        assert stance in message


def test_an_unknown_slug_error_names_the_slug(knowledge_base, api):
    body = assert_error(get(api, "positions/", {"program": "e-verify"}), 400, "program")

    assert "e-verify" in body["errors"]["program"][0]


def test_an_unknown_parameter_error_lists_the_accepted_ones(knowledge_base, api):
    body = assert_error(get(api, "positions/", {"foo": "1"}), 400, "foo")
    [message] = body["errors"]["foo"]

    for accepted in ("as_of", "stance", "jurisdiction", "include_sub_jurisdictions", "limit", "offset", "expand"):
        assert accepted in message


def test_an_unknown_expansion_error_lists_the_accepted_ones(knowledge_base, api):
    body = assert_error(get(api, "positions/", {"expand": "bogus"}), 400, "expand")

    [message] = body["errors"]["expand"]
    assert message.startswith("Cannot expand bogus; accepted: ")
    assert set(message.split("accepted: ")[1].rstrip(".").split(", ")) == {
        "program",
        "official",
        "jurisdiction",
        "organization",
    }


def test_a_limit_error_says_the_bounds(knowledge_base, api):
    body = assert_error(get(api, "positions/", {"limit": "101"}), 400, "limit")

    assert "between 1 and 100" in body["errors"]["limit"][0]


def test_a_malformed_date_error_shows_the_accepted_form(knowledge_base, api):
    body = assert_error(get(api, "positions/", {"as_of": "yesterday"}), 400, "as_of")

    assert "YYYY-MM-DD" in body["errors"]["as_of"][0]


def test_a_search_of_exactly_500_characters_is_accepted(knowledge_base, api):
    assert page(get(api, "positions/", {"search": "a" * 500}))["count"] == 0


def test_a_bad_boolean_is_a_400(knowledge_base, api):
    assert_error(get(api, "positions/", {"jurisdiction": "massachusetts", "include_sub_jurisdictions": "maybe"}), 400)


@pytest.mark.parametrize("day", ["03/06/2011", "Jun 3 2011", "3 June 2011"])
def test_a_date_not_written_yyyy_mm_dd_is_a_400(knowledge_base, api, day):
    assert_error(get(api, "positions/", {"as_of": day}), 400, "as_of")


# ---------------------------------------------------------------- 404


@pytest.mark.parametrize("resource", RESOURCES)
def test_an_unknown_slug_is_a_404(knowledge_base, api, resource):
    assert_error(get(api, f"{resource}/no-such-record/"), 404, code="not_found")


@pytest.mark.parametrize("resource", ["jurisdictions", "officials", "organizations"])
def test_the_timeline_of_an_unknown_slug_is_a_404(knowledge_base, api, resource):
    assert_error(get(api, f"{resource}/no-such-record/timeline/"), 404, code="not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing/",
        "/api/v1/positions/boston-participates-2011/timeline/",
        "/api/v2/positions/",
        "/api/",
        "/api/v1/programs/secure-communities/facts/",
    ],
)
def test_an_unknown_api_path_is_a_json_404(knowledge_base, api, path):
    body = assert_error(api.get(path), 404, code="not_found")

    assert "/api/v1/" in body["detail"]


def test_a_slug_is_matched_exactly(knowledge_base, api):
    assert_error(get(api, "positions/Boston-Participates-2011/"), 404)


# ---------------------------------------------------------------- 405, 401, 403


@pytest.fixture
def superuser_api(api, db):
    user = User.objects.create_superuser("root", "root@example.org", "a-long-enough-password")
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("resource", RESOURCES)
def test_changing_a_whole_list_is_a_405(knowledge_base, superuser_api, resource, method):
    response = getattr(superuser_api, method)(f"{API}{resource}/", {}, format="json")

    body = assert_error(response, 405, code="method_not_allowed")
    assert method.upper() in body["detail"]
    assert "POST" in response["Allow"] and method.upper() not in response["Allow"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_to_a_timeline_is_a_405(knowledge_base, superuser_api, method):
    response = getattr(superuser_api, method)(f"{API}jurisdictions/massachusetts/timeline/", {}, format="json")

    assert_error(response, 405, code="method_not_allowed")


def test_posting_to_a_detail_is_a_405(knowledge_base, superuser_api):
    assert_error(superuser_api.post(f"{API}positions/boston-participates-2011/", {}, format="json"), 405)


WRITES = [
    ("post", "positions/"),
    ("put", "positions/boston-participates-2011/"),
    ("patch", "positions/boston-participates-2011/"),
    ("delete", "positions/boston-participates-2011/"),
    ("post", "sources/"),
    ("delete", "sources/boston-herald-patrick-refuses-to-sign/"),
    ("patch", "programs/secure-communities/"),
    ("patch", "officials/deval-patrick/"),
    ("delete", "jurisdictions/california/"),
    ("post", "organizations/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_writing_anonymously_is_a_401(knowledge_base, api, method, path):
    response = getattr(api, method)(API + path, {"summary": "x"}, format="json")

    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_writing_without_the_model_permission_is_a_403(knowledge_base, api, method, path):
    reader = User.objects.create_user("reader", password="a-long-enough-password")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")

    assert_error(getattr(api, method)(API + path, {"summary": "x"}, format="json"), 403, code="permission_denied")


def test_a_permission_for_one_model_does_not_open_another(knowledge_base, api):
    editor = User.objects.create_user("editor", password="a-long-enough-password")
    editor.user_permissions.add(Permission.objects.get(codename="change_position"))
    api.force_authenticate(editor)

    assert_error(api.patch(f"{API}sources/boston-herald-patrick-refuses-to-sign/", {"title": "x"}, format="json"), 403)
    assert_error(api.delete(f"{API}positions/boston-participates-2011/"), 403)


def test_a_bad_token_is_a_401(knowledge_base, api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert_error(api.post(f"{API}positions/", {}, format="json"), 401, code="authentication_failed")


def test_a_bad_token_is_refused_even_for_reading(knowledge_base, api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert_error(api.get(f"{API}positions/"), 401)


def test_reading_needs_no_permission(knowledge_base, api):
    reader = User.objects.create_user("reader", password="a-long-enough-password")
    api.force_authenticate(reader)

    assert page(api.get(f"{API}positions/"))["count"] == len(curated()["positions"])


# ---------------------------------------------------------------- never a 500

ODD_VALUES = [
    "",
    " ",
    "\x00",
    "%",
    "_",
    "'",
    '"',
    "\\",
    "(",
    "[",
    "*:*",
    "-",
    ",",
    "a" * 500,
    "0001-01-01",
    "9999-12-31",
    "ü",
    "💥",
    "1e3",
    "99999999999999999999999",
]
LISTS = [
    "positions/",
    "officials/",
    "jurisdictions/",
    "organizations/",
    "programs/",
    "sources/",
    "jurisdictions/massachusetts/timeline/",
    "officials/deval-patrick/timeline/",
    "organizations/centro-presente/timeline/",
]


def parameters_of(path):
    """Every query parameter a list takes: its FilterSet's filters (read from the view, so a new
    filter is covered here without a word more), then expand and paging."""
    view = resolve(API + path).func
    filterset = view.initkwargs.get("filterset_class") or view.cls.filterset_class
    return [*filterset.base_filters, "expand", "limit", "offset"]


PARAMETERS_OF = {path: parameters_of(path) for path in LISTS}


def test_the_odd_values_below_reach_the_new_filters():
    assert {"voiced_by", "voiced_by_organization", "disputed", "reason_topic", "as_of"} <= set(
        PARAMETERS_OF["positions/"]
    )
    assert set(PARAMETERS_OF["positions/"]) == set(PARAMETERS_OF["organizations/centro-presente/timeline/"])


@pytest.mark.parametrize("path", PARAMETERS_OF)
def test_odd_values_of_every_parameter_never_make_a_500(knowledge_base, api, path):
    for name in PARAMETERS_OF[path]:
        for value in ODD_VALUES:
            response = get(api, path, {name: value})
            assert response.status_code in (200, 400), (name, value, response.content[:500])
            if response.status_code == 400:
                assert_error(response, 400, name)


@pytest.mark.parametrize(
    "slug",
    [
        "\x00",  # PostgreSQL refuses a NUL in a query: it must not reach the database
        "%00",
        "a" * 300,
        "ü",
        "..",
        "'",
        "slug with spaces",
    ],
)
@pytest.mark.parametrize("resource", RESOURCES)
def test_odd_slugs_never_make_a_500(knowledge_base, api, resource, slug):
    assert_error(api.get(f"{API}{resource}/{slug}/"), 404)
