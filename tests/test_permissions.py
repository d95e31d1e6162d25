"""Who may do what, and how often: throttling (429 with Retry-After), CORS for read-only browser
clients, CSRF with sessions, token authentication, and model permissions deciding each change.

Anonymous writes, a missing permission and basic token/session writing are in test_api_errors.py
and test_api_write.py; here are the rest, each refusal checked to leave the database as it was.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission, User
from django.utils.crypto import get_random_string
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1/"
ERROR_KEYS = {"status", "code", "detail", "errors"}
PASSWORD = "a-long-enough-password"
ALLOWED_ORIGIN = "https://reader.example.org"


def kb_state():
    return {model._meta.label: model._default_manager.count() for model in apps.get_app_config("kb").get_models()}


@pytest.fixture
def unchanged(knowledge_base):
    before = kb_state()
    yield
    assert kb_state() == before


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["status"] == status and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


def user_with(*codenames, username="curator", groups=()):
    user = User.objects.create_user(username, password=PASSWORD)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="kb", codename__in=codenames))
    user.groups.set(groups)
    return user


def token_client(user):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def settings_under(environment, code):
    """Run `code` after loading the settings with only `environment` set; its last line of output."""
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("DJANGO_") and name != "DATABASE_URL"
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "true", **environment})
    code = f"import json; from django.conf import settings; print(json.dumps({code}))"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return completed


# ---------------------------------------------------------------- throttling


def test_the_suite_runs_unthrottled_unless_a_rate_is_set(knowledge_base):
    assert django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"anon": None, "user": None}
    client = APIClient()

    assert {client.get(API + "programs/").status_code for _ in range(30)} == {200}


def test_an_anonymous_client_over_its_rate_gets_a_429_with_retry_after(knowledge_base, throttle_rates):
    throttle_rates(anon="3/min")
    client = APIClient()

    statuses = [client.get(API + "positions/").status_code for _ in range(3)]
    response = client.get(API + "positions/")

    assert statuses == [200, 200, 200]
    body = assert_error(response, 429, code="throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["Retry-After"] in body["detail"]
    assert body["errors"] == {}


def test_every_endpoint_shares_one_anonymous_budget(knowledge_base, throttle_rates):
    throttle_rates(anon="2/min")
    client = APIClient()

    client.get(API + "positions/")
    client.get(API + "sources/")

    assert_error(client.get(API + "officials/deval-patrick/"), 429)
    assert_error(client.get(API + "jurisdictions/massachusetts/timeline/"), 429)


def test_a_forged_x_forwarded_for_does_not_reset_the_anonymous_budget(knowledge_base, throttle_rates):
    throttle_rates(anon="2/min")
    client = APIClient()
    for number in range(2):
        client.get(API + "positions/", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")

    assert_error(client.get(API + "positions/", HTTP_X_FORWARDED_FOR="10.0.0.99"), 429)


def test_another_address_has_its_own_budget(knowledge_base, throttle_rates):
    throttle_rates(anon="1/min")
    client = APIClient()
    client.get(API + "positions/")

    assert client.get(API + "positions/", REMOTE_ADDR="127.0.0.2").status_code == 200


def test_each_user_has_a_budget_of_their_own_apart_from_the_anonymous_one(knowledge_base, throttle_rates):
    throttle_rates(anon="1/min", user="2/min")
    APIClient().get(API + "positions/")  # the address's anonymous budget is spent
    alice, bob = token_client(user_with(username="alice")), token_client(user_with(username="bob"))

    assert [alice.get(API + "positions/").status_code for _ in range(2)] == [200, 200]
    assert_error(alice.get(API + "positions/"), 429)
    assert bob.get(API + "positions/").status_code == 200


def test_writes_are_throttled_too_and_a_throttled_write_writes_nothing(unchanged, throttle_rates):
    throttle_rates(user="1/min")
    client = token_client(user_with("add_jurisdiction"))
    texas = {"slug": "texas", "name": "Texas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"}
    client.get(API + "jurisdictions/")

    assert_error(client.post(API + "jurisdictions/", texas, format="json"), 429)


def test_the_rates_come_from_the_environment():
    completed = settings_under(
        {
            "DJANGO_THROTTLE_ANON": "120/min",
            "DJANGO_THROTTLE_USER": "1000/hour",
            "DJANGO_TRUSTED_PROXIES": "10.0.0.0/8",
        },
        'settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] | {"proxies": [str(n) for n in settings.TRUSTED_PROXIES]}',
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1]) == {
        "anon": "120/min",
        "user": "1000/hour",
        "proxies": ["10.0.0.0/8"],
    }


def test_the_old_proxy_count_stops_start_up_pointing_at_trusted_proxies():
    # DJANGO_NUM_PROXIES=1 let a client that reaches the app directly pick its own address.
    completed = settings_under({"DJANGO_NUM_PROXIES": "1"}, "settings.DEBUG")

    assert completed.returncode != 0
    assert "DJANGO_TRUSTED_PROXIES" in completed.stderr


@pytest.mark.parametrize("rate", ["120", "fast", "120/fortnight", "0/min", "-5/min", "1.5/s"])
def test_a_rate_that_is_not_a_rate_stops_start_up_naming_the_variable(rate):
    completed = settings_under({"DJANGO_THROTTLE_ANON": rate}, "settings.DEBUG")

    assert completed.returncode != 0
    assert "DJANGO_THROTTLE_ANON must be a rate such as 120/min" in completed.stderr


# ---------------------------------------------------------------- CORS


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED_ORIGIN]
    settings.CORS_ALLOW_ALL_ORIGINS = False


def test_an_allowed_origin_may_read_the_api(knowledge_base, cors):
    response = APIClient().get(API + "positions/", HTTP_ORIGIN=ALLOWED_ORIGIN)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Credentials" not in response  # cookies never travel cross-origin
    assert "Retry-After" in response["Access-Control-Expose-Headers"]


def test_another_origin_gets_no_cors_headers(knowledge_base, cors):
    response = APIClient().get(API + "positions/", HTTP_ORIGIN="https://evil.example.com")

    assert response.status_code == 200  # the browser, not the server, withholds the body
    assert "Access-Control-Allow-Origin" not in response


def test_a_preflight_allows_reading_methods_only(knowledge_base, cors):
    response = APIClient().options(
        API + "positions/", HTTP_ORIGIN=ALLOWED_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="DELETE"
    )

    assert response.status_code == 200
    allowed = {method.strip() for method in response["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}


def test_without_configured_origins_there_are_no_cors_headers(knowledge_base):
    assert django_settings.CORS_ALLOWED_ORIGINS == [] and not django_settings.CORS_ALLOW_ALL_ORIGINS

    response = APIClient().get(API + "positions/", HTTP_ORIGIN=ALLOWED_ORIGIN)

    assert "Access-Control-Allow-Origin" not in response


def test_cors_covers_the_api_and_not_the_admin(db, cors):
    response = APIClient().get("/admin/login/", HTTP_ORIGIN=ALLOWED_ORIGIN)

    assert "Access-Control-Allow-Origin" not in response


def test_the_origins_come_from_the_environment():
    code = "[settings.CORS_ALLOWED_ORIGINS, settings.CORS_ALLOW_ALL_ORIGINS, settings.CORS_ALLOW_METHODS]"

    listed = settings_under({"DJANGO_CORS_ALLOWED_ORIGINS": f"{ALLOWED_ORIGIN}, https://b.example.org"}, code)
    everyone = settings_under({"DJANGO_CORS_ALLOWED_ORIGINS": "*"}, code)

    assert json.loads(listed.stdout.splitlines()[-1]) == [
        [ALLOWED_ORIGIN, "https://b.example.org"],
        False,
        ["GET", "HEAD", "OPTIONS"],
    ]
    assert json.loads(everyone.stdout.splitlines()[-1])[:2] == [[], True]


# ---------------------------------------------------------------- sessions and CSRF


@pytest.fixture
def browser(knowledge_base):
    """A signed-in browser session with every permission on jurisdictions, checked for CSRF."""
    user_with("add_jurisdiction", "change_jurisdiction", "delete_jurisdiction")
    client = APIClient(enforce_csrf_checks=True, raise_request_exception=False)
    assert client.login(username="curator", password=PASSWORD)
    return client


def test_a_session_write_with_a_wrong_csrf_token_is_a_403_saying_so(browser, unchanged):
    browser.cookies[django_settings.CSRF_COOKIE_NAME] = get_random_string(32)

    response = browser.patch(
        API + "jurisdictions/boston/", {"name": "Beantown"}, format="json", HTTP_X_CSRFTOKEN=get_random_string(32)
    )

    body = assert_error(response, 403)
    assert "CSRF" in body["detail"]


def test_a_session_write_to_an_unknown_api_path_is_a_json_404_not_a_csrf_page(browser):
    response = browser.post(API + "jurisdictions/no such place/", {}, format="json")

    assert_error(response, 404, code="not_found")


def test_a_session_read_needs_no_csrf_token(browser):
    assert browser.get(API + "jurisdictions/boston/").status_code == 200


def test_a_session_of_a_user_made_inactive_cannot_write(browser, unchanged):
    User.objects.filter(username="curator").update(is_active=False)
    secret = get_random_string(32)
    browser.cookies[django_settings.CSRF_COOKIE_NAME] = secret

    response = browser.patch(
        API + "jurisdictions/boston/", {"name": "Beantown"}, format="json", HTTP_X_CSRFTOKEN=secret
    )

    assert response.status_code in (401, 403)
    assert_error(response, response.status_code)


# ---------------------------------------------------------------- tokens


@pytest.mark.parametrize(
    "header",
    [
        "Token",
        "Token ",
        "Token a b",
        "Token " + "0" * 40,
        "token " + "0" * 40,
        "Bearer " + "0" * 40,
        "Basic Y3VyYXRvcjpwYXNzd29yZA==",
        "Token \x00",
        # A WSGI server hands headers over as latin-1 text: UTF-8 bytes arrive as this.
        "Token " + ("😀" * 10).encode().decode("latin-1"),
    ],
)
def test_a_malformed_or_unknown_credential_on_a_write_is_a_401_or_403(unchanged, header):
    client = APIClient(raise_request_exception=False)

    response = client.post(API + "jurisdictions/", {"slug": "texas"}, format="json", HTTP_AUTHORIZATION=header)

    assert_error(response, response.status_code)
    assert response.status_code in (401, 403)


def test_a_401_tells_the_client_how_to_authenticate(unchanged):
    response = APIClient().post(API + "jurisdictions/", {"slug": "texas"}, format="json")

    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_the_token_of_an_inactive_user_is_refused(unchanged):
    user = user_with("change_jurisdiction")
    client = token_client(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_error(client.patch(API + "jurisdictions/boston/", {"name": "Beantown"}, format="json"), 401)


# ---------------------------------------------------------------- model permissions

BOSTON = API + "jurisdictions/boston/"
TEXAS = {"slug": "texas", "name": "Texas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"}
LEAF = API + "jurisdictions/"  # a new jurisdiction nothing refers to, deletable


def attempt(client, action):
    if action == "add":
        return client.post(API + "jurisdictions/", TEXAS, format="json")
    if action == "change":
        return client.patch(BOSTON, {"name": "Beantown"}, format="json")
    if action == "replace":
        return client.put(
            BOSTON, {**client.get(BOSTON).json(), "parent": "massachusetts", "name": "Beantown"}, format="json"
        )
    if action == "delete":
        return client.delete(API + "jurisdictions/united-states/")
    raise ValueError(action)


NEEDED = {
    "add": "add_jurisdiction",
    "change": "change_jurisdiction",
    "replace": "change_jurisdiction",
    "delete": "delete_jurisdiction",
}


@pytest.mark.parametrize("action", NEEDED)
@pytest.mark.parametrize(
    "granted", ["add_jurisdiction", "change_jurisdiction", "delete_jurisdiction", "view_jurisdiction"]
)
def test_each_change_needs_its_own_model_permission(knowledge_base, action, granted):
    client = token_client(user_with(granted))
    before = kb_state()

    response = attempt(client, action)

    if granted == NEEDED[action]:
        # Allowed; deleting the country others sit in is then refused by the knowledge base itself.
        assert response.status_code in ({"add": 201, "change": 200, "replace": 200, "delete": 409}[action],)
    else:
        assert_error(response, 403, code="permission_denied")
        assert kb_state() == before


def test_permissions_given_through_a_group_count(knowledge_base):
    editors = Group.objects.create(name="editors")
    editors.permissions.set(Permission.objects.filter(codename="change_jurisdiction"))
    client = token_client(user_with(groups=[editors]))

    assert client.patch(BOSTON, {"name": "Beantown"}, format="json").status_code == 200


def test_staff_status_alone_grants_no_write(unchanged):
    user = user_with()
    User.objects.filter(pk=user.pk).update(is_staff=True)

    assert_error(attempt(token_client(user), "change"), 403)


def test_a_superuser_may_write_everything(knowledge_base):
    client = token_client(User.objects.create_superuser("root", password=None))

    assert attempt(client, "add").status_code == 201
    assert attempt(client, "change").status_code == 200


def test_a_citation_is_changed_through_its_position_so_needs_the_position_permission(unchanged):
    """Citations have no endpoint of their own: replacing them is changing the position."""
    client = token_client(user_with("change_citation", "add_citation", "delete_citation"))
    citations = [{"source": "boston-herald-patrick-refuses-to-sign", "quote": "New York Gov. Andrew Cuomo"}]

    response = client.patch(API + "positions/boston-participates-2011/", {"citations": citations}, format="json")

    assert_error(response, 403)
