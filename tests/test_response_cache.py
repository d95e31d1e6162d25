"""Cached pages (config/response_cache.py): an anonymous read computed since the knowledge base last
changed is answered from the cache, with the version's read as its only query; a write makes every
cached page unreachable; signed-in reads, errors and streamed CSVs are never kept."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.models import Position

API = "/api/v1/"


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.RESPONSE_CACHE_SECONDS = 300
    caches["default"].clear()
    yield
    caches["default"].clear()


def read(api, path, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, **headers)
    return response, len(queries)


def test_a_page_read_again_is_answered_from_the_cache_with_the_versions_read_alone(knowledge_base, api):
    first, computed = read(api, API + "positions/?stance=refuses")
    again, cached = read(api, API + "positions/?stance=refuses")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"] and "public" in again["Cache-Control"]
    assert computed > 1 and cached == 1  # the version row, which every API read takes


def test_a_record_keeps_its_own_etag_when_cached(knowledge_base, api):
    path = API + "positions/illinois-refuses/"
    first, _ = read(api, path)
    again, cached = read(api, path)
    assert again["ETag"] == first["ETag"] and "-v" in again["ETag"] and cached == 1


def test_a_write_makes_the_cached_page_unreachable(knowledge_base, api):
    path = API + "positions/?jurisdiction=illinois"
    before, _ = read(api, path)
    position = Position.objects.get(slug="illinois-refuses")
    position.summary = "Illinois refused, as reworded."
    position.save()

    after, queries = read(api, path)

    assert queries > 1 and b"as reworded" in after.content and after.content != before.content


def test_no_accept_header_reads_the_page_of_any_media_type(knowledge_base, api):
    """wrk sends no Accept, curl */*: under load, the first of them computed the page again."""
    first, _ = read(api, API + "positions/?stance=refuses", HTTP_ACCEPT="*/*")
    again, cached = read(api, API + "positions/?stance=refuses", HTTP_ACCEPT="")
    assert again.content == first.content and cached == 1


def test_json_and_html_of_one_path_are_kept_apart(knowledge_base, api):
    read(api, API + "positions/?limit=2")
    html, queries = read(api, API + "positions/?limit=2", HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html") and queries > 1


@pytest.mark.parametrize(
    "path, headers",
    [
        ("positions/?limit=2", {"HTTP_AUTHORIZATION": "Token not-a-real-one"}),
        ("positions/no-such-position/", {}),
        ("positions/?stance=nonsense", {}),
        ("positions/?format=csv&jurisdiction=illinois", {}),
    ],
    ids=["signed-in (a token)", "a 404", "a 400", "a streamed CSV"],
)
def test_what_is_not_anonymous_a_200_or_whole_is_never_kept(knowledge_base, api, path, headers):
    for _ in range(2):
        response = api.get(API + path, **headers)
        if response.streaming:
            b"".join(response.streaming_content)
    assert not [key for key in caches["default"]._cache if ":page:" in key]


def test_a_kept_page_is_in_the_cache_under_the_version(knowledge_base, api):
    response = api.get(API + "positions/?limit=2")
    number = response["ETag"].strip('"W/').removeprefix("kb")
    assert [key for key in caches["default"]._cache if f":page:{number}:" in key]


def test_with_the_cache_off_every_read_is_computed(knowledge_base, api, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    read(api, API + "positions/?stance=refuses")
    _, queries = read(api, API + "positions/?stance=refuses")
    assert queries > 1
