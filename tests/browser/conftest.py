"""Browser tests: Playwright for Python drives Debian's Chromium, headless, against the live server.

One browser for all of them, a fresh context (cookies, storage) per test. Chromium comes from the
system (`scripts/system-deps.sh chromium`, which `make test` runs), never from `playwright install`;
without it every browser test is skipped with the reason, which pytest's `-ra` summary shows, as
they are when SKIP_BROWSER_TESTS gives a reason (`make test` does in its SQLite leg).

A failing test leaves a screenshot of its page in artifacts/screenshots/<test>.png. With
SAVE_DOCS_SCREENSHOTS=1 the tests also write the README's screenshots to docs/screenshots/.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from pytest_django.live_server_helper import LiveServer

from kb.models import Position

REPOSITORY = Path(__file__).resolve().parents[2]
FAILURE_SCREENSHOTS = REPOSITORY / "artifacts" / "screenshots"
DOCS_SCREENSHOTS = REPOSITORY / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# A URL for any other host, as a regular expression: Playwright then intercepts only those
# requests (a Python predicate would hold up every request of the page).
OFF_THE_MACHINE = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?:[:/]|$))[a-z]+://")
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000


@dataclass
class Traffic:
    """Every request a browser context made, the ones that failed, and the page's script errors."""

    requests: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    refused_by_policy: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)

    def record_failure(self, request):
        if request.failure == "csp":
            # The page's Content-Security-Policy had Chromium refuse it: it was never sent.
            self.refused_by_policy.append(request.url)
        else:
            self.failures.append(f"{request.url}: {request.failure}")

    def off_the_machine(self):
        return [url for url in self.requests if not stays_on_the_machine(url) and url not in self.refused_by_policy]


def stays_on_the_machine(url):
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True  # made in the page, nothing goes on the wire
    return parts.hostname in LOOPBACK_HOSTS


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    reason = os.environ.get("SKIP_BROWSER_TESTS")
    if reason:
        pytest.skip(reason)  # before any fixture: no server, no browser


class SingleThreadedWSGIServer(WSGIServer):
    """Django's server, answering one request at a time; it shares the live server's signature."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


@pytest.fixture(scope="package")
def live_server():
    """pytest-django's live server on the IPv4 loopback; single-threaded on in-memory SQLite.

    There the server's threads and the test share one SQLite connection, and two threads using it
    at once can deadlock for good: one waits for SQLite's lock holding Python's, while the other,
    holding SQLite's inside a Python function Django gives SQLite (dates, regular expressions),
    waits for Python's. So the server answers one request at a time, and a test that queries after
    a page's actions first waits for the page's requests to end ("networkidle"), as the page
    fixture does before the database is emptied. On PostgreSQL every thread has a connection of
    its own: the server stays threaded, its requests concurrent as gunicorn's are.
    """
    server = LiveServer("127.0.0.1", start=False)
    if server.thread.connections_override:  # in-memory SQLite, shared with the server's threads
        server.thread.server_class = SingleThreadedWSGIServer
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package", autouse=True)
def knowledge_base_restored_afterwards(django_db_blocker):
    """The live server's tests are transactional: each empties the database when it ends.

    Loading the knowledge base again afterwards leaves the database as the session set it up for
    whichever tests run next. Set up before the browser, so torn down after it has closed. The
    connection it opens is closed: an open one would stop the test database from being dropped.
    """
    yield
    with django_db_blocker.unblock():
        if not Position.objects.exists():
            call_command("load_kb", verbosity=0)
        connections.close_all()


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install Debian's package with `scripts/system-deps.sh chromium` "
            "(make test does), or point CHROMIUM_PATH at a Chromium binary"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.skip(f"Playwright is not installed ({error}): pip install -r requirements-test.txt")

    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM
    # calls from a thread with a running loop. The tests are synchronous: say so, while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # An installed Chromium that does not start is an error, not a skip. --no-sandbox:
            # Chromium's sandbox refuses to run as root, as on CI.
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def traffic():
    return Traffic()


@pytest.fixture
def page(browser, traffic):
    """A page in a context of its own, every request of which is recorded in `traffic`.

    Requests for other hosts are aborted: a test never waits on the network, and such a request
    still shows in `traffic`, as made and as failed.
    """
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    context.on("request", lambda request: traffic.requests.append(request.url))
    context.on("requestfailed", traffic.record_failure)
    context.route(OFF_THE_MACHINE, lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    page.on("pageerror", lambda error: traffic.page_errors.append(str(error)))
    yield page
    # The server finishes what the page asked for before the test's database is emptied
    # (see live_server); immediate when the page is idle already.
    page.wait_for_load_state("networkidle")
    context.close()


@pytest.fixture
def docs_screenshot():
    """Save a screenshot for the README under docs/screenshots/, when SAVE_DOCS_SCREENSHOTS=1."""

    def save(page, name):
        if os.environ.get("SAVE_DOCS_SCREENSHOTS") == "1":
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=DOCS_SCREENSHOTS / f"{name}.png")

    return save


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # The call phase's report is made before fixtures are torn down: the page is still open. The
    # screenshot is of the viewport, where Playwright scrolled to act: ReDoc's whole page is huge.
    page = item.funcargs.get("page") if report.when == "call" and report.failed else None
    if page is not None and not page.is_closed():
        FAILURE_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = FAILURE_SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', item.name)}.png"
        try:
            page.screenshot(path=path)
        except Exception as error:  # the failure being reported matters more than its picture
            report.sections.append(("screenshot", f"could not be taken: {error}"))
        else:
            report.sections.append(("screenshot", str(path.relative_to(REPOSITORY))))
    return report
