"""HTTP caching from the knowledge base's version (config.http_cache, kb.version): every write
advances it; ETag and Last-Modified come from it; a revalidation is a 304 that reads the version
row and nothing else; Cache-Control is public only for anonymous reads.

The same through nginx, gzip's weak ETags included: tests/test_production_topology.py.
"""

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date
from rest_framework.authtoken.models import Token

from config.http_cache import KnowledgeBaseCacheMiddleware, kb_parts
from kb import version
from kb.models import Citation, Jurisdiction, KnowledgeBaseVersion, Position
from tests.api_helpers import API

VERSION_TABLE = KnowledgeBaseVersion._meta.db_table


def current_number():
    return version.current()[0]


def etag_of(number):
    return f'"kb{number}"'


# ---------------------------------------------------------------- the version


def test_every_write_to_any_knowledge_base_record_advances_the_version(knowledge_base):
    for model in version.tracked_models():
        record = model.objects.first()
        if record is None:
            continue
        before = current_number()
        record.save()
        assert current_number() > before, model._meta.label


def test_historical_records_and_the_version_itself_are_not_tracked():
    labels = {model._meta.label for model in version.tracked_models()}

    assert "kb.Position" in labels and "kb.Citation" in labels
    assert not [label for label in labels if label.startswith("kb.Historical")]
    assert "kb.KnowledgeBaseVersion" not in labels


def test_a_delete_advances_the_version(knowledge_base):
    before = current_number()
    Citation.objects.order_by("pk").first().delete()

    assert current_number() > before


def test_the_version_advances_inside_the_writers_transaction(knowledge_base):
    before = current_number()
    with pytest.raises(RuntimeError), transaction.atomic():
        boston = Jurisdiction.objects.get(slug="boston")
        boston.name = "Boston, rolled back"
        boston.save()
        assert current_number() > before
        raise RuntimeError("the write fails after the save")

    assert current_number() == before  # rolled back with the write


def test_the_version_never_repeats_even_after_its_row_is_gone(knowledge_base):
    number = current_number()
    KnowledgeBaseVersion.objects.all().delete()

    version.advance()

    assert current_number() > number  # it starts again from the clock, past any earlier number


def test_generating_a_synthetic_knowledge_base_advances_the_version(knowledge_base):
    from kb import synthetic

    before = current_number()
    synthetic.generate(positions=20)

    assert current_number() > before


# ---------------------------------------------------------------- ETag, Last-Modified, 304


def test_an_api_answer_carries_the_version_as_etag_and_last_modified(knowledge_base, api):
    number, changed_at = version.current()

    response = api.get(API + "positions/")

    assert response["ETag"] == etag_of(number)
    assert response["Last-Modified"] == http_date(changed_at.timestamp())


@pytest.mark.parametrize(
    "if_none_match",
    [
        "{tag}",
        'W/"kb{number}"',  # what gzip (Django's or nginx's) makes of it
        '"kb{number}-v3"',  # a single record's form: the kb part decides
        'W/"kb{number}-v7-gzip"',
        '"kb1", "something-else", {tag}',  # any tag in the list
    ],
)
def test_a_revalidation_is_a_304_that_reads_only_the_version_row(knowledge_base, api, if_none_match):
    number = current_number()
    header = if_none_match.format(tag=etag_of(number), number=number)

    with CaptureQueriesContext(connection) as queries:
        response = api.get(API + "positions/", {"stance": "refuses", "expand": "official"}, HTTP_IF_NONE_MATCH=header)

    assert response.status_code == 304 and response.content == b""
    assert response["ETag"] == etag_of(number)
    assert "public" in response["Cache-Control"]
    assert [query["sql"] for query in queries if VERSION_TABLE not in query["sql"]] == []
    assert len(queries) == 1


def test_a_tag_of_another_version_gets_the_page(knowledge_base, api):
    response = api.get(API + "positions/", HTTP_IF_NONE_MATCH=f'"kb{current_number() - 1}", W/"kb0-v1"')

    assert response.status_code == 200 and response.json()["results"]


def test_if_modified_since_the_last_write_is_a_304(knowledge_base, api):
    _, changed_at = version.current()

    unchanged = api.get(API + "sources/", HTTP_IF_MODIFIED_SINCE=http_date(changed_at.timestamp() + 1))
    changed = api.get(API + "sources/", HTTP_IF_MODIFIED_SINCE=http_date(changed_at.timestamp() - 3600))

    assert unchanged.status_code == 304
    assert changed.status_code == 200


def test_a_write_through_the_api_makes_the_old_etag_stale(knowledge_base, api, django_user_model):
    etag = api.get(API + "jurisdictions/boston/")["ETag"]
    user = django_user_model.objects.create_superuser("editor", password="a-long-enough-password")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    assert api.patch(API + "jurisdictions/boston/", {"name": "City of Boston"}, format="json").status_code == 200
    api.credentials()

    again = api.get(API + "jurisdictions/boston/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again.json()["name"] == "City of Boston"
    assert again["ETag"] != etag


def test_a_signed_in_revalidation_is_a_304_after_the_view(knowledge_base, api, django_user_model):
    user = django_user_model.objects.create_user("reader", password="a-long-enough-password")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    etag = api.get(API + "positions/")["ETag"]

    response = api.get(API + "positions/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["Cache-Control"] == "no-store"


def test_a_bad_token_is_a_401_even_with_a_current_etag(knowledge_base, api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = api.get(API + "positions/", HTTP_IF_NONE_MATCH=etag_of(current_number()))

    assert response.status_code == 401


def test_a_revalidation_counts_against_the_rate(knowledge_base, api, throttle_rates):
    throttle_rates(anon="2/min")
    etag = api.get(API + "positions/")["ETag"]
    assert api.get(API + "positions/", HTTP_IF_NONE_MATCH=etag).status_code == 304

    assert api.get(API + "positions/", HTTP_IF_NONE_MATCH=etag).status_code == 429


def test_an_etag_the_view_set_is_left_alone(knowledge_base):
    def view_with_its_own_tag(request):
        response = HttpResponse("{}", content_type="application/json")
        response["ETag"] = f'"kb{request.kb_version}-v3"'
        return response

    middleware = KnowledgeBaseCacheMiddleware(view_with_its_own_tag)
    request = RequestFactory().get(API + "positions/some-position/")
    request.user = None

    response = middleware(request)

    assert response["ETag"] == f'"kb{current_number()}-v3"'


def test_kb_parts_reads_strong_weak_and_record_tags():
    assert kb_parts('"kb12", W/"kb13", "kb14-v2", W/"kb15-v1-gzip", "other", "kbx", *') == {12, 13, 14, 15}
    assert kb_parts(None) == set()


def test_pages_outside_the_api_keep_an_etag_of_their_body(db, client):
    first = client.get("/api/schema/")

    assert first["ETag"] and not first["ETag"].strip('W/"').startswith("kb")
    assert client.get("/api/schema/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


# ---------------------------------------------------------------- Cache-Control


def test_anonymous_reads_are_public_for_a_short_while_and_may_be_served_stale(knowledge_base, api, settings):
    response = api.get(API + "positions/illinois-refuses/")

    assert response["Cache-Control"] == (
        f"public, max-age={settings.CACHE_MAX_AGE_SECONDS}, stale-while-revalidate={settings.CACHE_STALE_SECONDS}, "
        f"stale-if-error={settings.CACHE_STALE_SECONDS}"
    )
    vary = {name.strip().lower() for name in response["Vary"].split(",")}
    assert {"accept", "accept-encoding", "authorization", "cookie"} <= vary


def test_signed_in_answers_are_never_stored(knowledge_base, api, django_user_model):
    user = django_user_model.objects.create_user("reader", password="a-long-enough-password")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    with_token = api.get(API + "positions/")
    api.credentials()
    api.force_login(user)
    with_session = api.get(API + "positions/")

    assert with_token["Cache-Control"] == "no-store"
    assert with_session["Cache-Control"] == "no-store"


def test_writes_and_errors_are_never_stored(knowledge_base, api, throttle_rates):
    write = api.post(API + "jurisdictions/", {"slug": "x"}, format="json")
    bad = api.get(API + "positions/", {"limit": "x"})
    throttle_rates(anon="1/min")
    api.get(API + "sources/")
    throttled = api.get(API + "sources/")

    assert (write.status_code, write["Cache-Control"]) == (401, "no-store")
    assert (bad.status_code, bad["Cache-Control"]) == (400, "no-store")
    assert (throttled.status_code, throttled["Cache-Control"]) == (429, "no-store")


def test_the_admin_is_never_cached(db, client):
    for path in ("/admin/login/", "/admin/"):
        cache_control = client.get(path)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, path


def test_a_browsable_page_with_a_csrf_cookie_is_private(knowledge_base, client):
    response = client.get(API + "positions/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"


def test_a_position_read_costs_the_version_and_the_page(knowledge_base, api, django_assert_num_queries):
    position = Position.objects.order_by("pk").first()
    # Massachusetts' 2010 intent to join: voiced and reasoned, in no event (so no other versions read).
    assert (position.voices.exists(), position.reasons.exists(), position.event_id) == (True, True, None)
    # The version (once: the ETag's K is the one the answer's caching read); its row with its
    # holders and its version; its voices; their citations; its reasons; their citations; its citations.
    with django_assert_num_queries(7):
        assert api.get(f"{API}positions/{position.slug}/").status_code == 200
