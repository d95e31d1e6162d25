"""The pages people look at (issue 16), through Django's test client: each page answers, says what
it should, stays under the Content-Security-Policy, costs a fixed number of queries at two sizes
of the knowledge base, is cached by the knowledge base's version, and answers an HTML 404 for an
unknown slug and an HTML 400 naming each bad parameter. The browser tests (tests/browser/
test_pages_browser.py) drive the same pages in Chromium.
"""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse

from kb.models import (
    Citation,
    DateBasis,
    DatePrecision,
    Event,
    Jurisdiction,
    JurisdictionKind,
    Official,
    Organization,
    OrganizationKind,
    Position,
    Program,
    Reason,
    ReasonTopic,
    Source,
    SourcePart,
    Stance,
    Voice,
)
from pages import reading, timeline
from pages.caching import CONTENT_SECURITY_POLICY, knowledge_base_version
from pages.presenting import Interval

PROGRAM = "secure-communities"
NEW_YORK_WITHDRAWS = "new-york-withdraws-2011-06"
MASSACHUSETTS_REFUSES = "massachusetts-refuses-secure-communities-2011-06-03"
AP = "ap-patrick-massachusetts-wont-participate"
WBUR = "wbur-mass-wont-join-immigration-check-program"
HERALD = "boston-herald-patrick-refuses-to-sign"
GLOBE = "boston-globe-patrick-wont-sign"


@pytest.fixture(autouse=True)
def fresh_page_cache():
    """A page kept by an earlier test under the same version (a rolled-back test database can
    repeat one) must not answer for this one."""
    cache.clear()
    yield
    cache.clear()


def page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def marks_of(html):
    """The positions the timeline draws a mark for, in the order drawn."""
    return re.findall(r'<a href="/positions/([a-z0-9-]+)/" class="mark-link"', html)


# ---------------------------------------------------------------- a bigger knowledge base


SCALE_QUOTE = "Secure Communities"  # in every source's publisher text


@pytest.fixture
def scaled_kb(knowledge_base):
    """The real knowledge base and, beside it, 40 more positions on the program: each with a
    citation, a voice and a reason, every other one a version of a disputed event, held by new
    cities of Massachusetts and new advocacy groups."""
    program = Program.objects.get(slug=PROGRAM)
    massachusetts = Jurisdiction.objects.get(slug="massachusetts")
    globe = Source.objects.get(slug=GLOBE)
    start = globe.find_evidence(SCALE_QUOTE)
    speaker = Official.objects.get(slug="deval-patrick")
    for number in range(20):
        city = Jurisdiction.objects.create(
            slug=f"scale-city-{number}",
            name=f"Scale City {number}",
            kind=JurisdictionKind.CITY,
            parent=massachusetts,
            ocd_id=f"ocd-division/country:us/state:ma/place:scale_{number}",
        )
        group = Organization.objects.create(
            slug=f"scale-group-{number}", name=f"Scale Group {number}", kind=OrganizationKind.ADVOCACY_GROUP
        )
        event = Event.objects.create(slug=f"scale-event-{number}", program=program, summary="Told two ways.")
        day = datetime.date(2011, 6, 1) + datetime.timedelta(days=number % 9)
        for holder, stance, in_event in ((city, Stance.REFUSES, False), (group, Stance.OPPOSES, True)):
            field = "jurisdiction" if isinstance(holder, Jurisdiction) else "organization"
            for version in range(2 if in_event else 1):
                position = Position.objects.create(
                    slug=f"scale-{field}-{number}-{version}",
                    program=program,
                    event=event if in_event else None,
                    stance=stance,
                    date_earliest=day,
                    date_latest=day,
                    date_precision=DatePrecision.DAY,
                    date_basis=DateBasis.REPORTED,
                    summary=f"{holder.name}, version {version}.",
                    **{field: holder},
                )
                voice = Voice.objects.create(position=position, official=speaker, rank=0)
                reason = Reason.objects.create(position=position, topic=ReasonTopic.OTHER, summary="A reason.", rank=0)
                for backed in ({"position": position}, {"voice": voice}, {"reason": reason}):
                    Citation.objects.create(
                        source=globe, quote=SCALE_QUOTE, start=start, end=start + len(SCALE_QUOTE), **backed
                    )


# ---------------------------------------------------------------- every page


PAGES = [
    "/",
    f"/programs/{PROGRAM}/",
    f"/positions/{NEW_YORK_WITHDRAWS}/",
    "/sources/",
    f"/sources/{AP}/",
    "/jurisdictions/massachusetts/",
    "/organizations/centro-presente/",
    "/officials/mary-beth-heffernan/",
]


@pytest.mark.parametrize("path", PAGES + ["/positions/no-such-position/", f"/programs/{PROGRAM}/?stance=likes"])
def test_every_page_is_served_under_the_strict_content_security_policy(client, knowledge_base, path):
    response = client.get(path)

    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY == "default-src 'self'"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    # Nothing the policy would refuse: no inline script or style, no handler attribute, nothing remote.
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    # Every resource the page loads comes from this site (links to elsewhere are only links).
    resources = re.findall(r'<(?:script|img|link|iframe|object|embed)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert resources and all(url.startswith("/") and not url.startswith("//") for url in resources), resources


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_one_main_landmark_a_first_heading_and_a_title(client, knowledge_base, path):
    html = page(client, path)

    assert html.count("<main") == 1
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert re.search(r"<title>[^<]+</title>", html)
    assert '<html lang="en">' in html
    assert 'href="#main"' in html  # the skip link


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_well_formed(client, knowledge_base, path):
    assert unclosed_or_misnested(page(client, path)) == []


class _Nesting(HTMLParser):
    VOID = {"meta", "link", "br", "img", "input", "hr", "circle", "rect", "line", "path"}

    def __init__(self):
        super().__init__()
        self.stack, self.problems = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


def unclosed_or_misnested(html):
    parser = _Nesting()
    parser.feed(html)
    return parser.problems + [f"<{tag}> never closed" for tag in parser.stack]


@pytest.mark.parametrize(
    "path, noun",
    [
        ("/programs/no-such-program/", "program"),
        ("/positions/no-such-position/", "position"),
        ("/sources/no-such-source/", "source"),
        ("/jurisdictions/no-such-place/", "jurisdiction"),
        ("/organizations/no-such-group/", "organization"),
        ("/officials/no-such-person/", "official"),
    ],
)
def test_an_unknown_slug_is_an_html_404_naming_it(client, knowledge_base, path, noun):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert f"No {noun} “{path.split('/')[2]}”" in html
    assert "Traceback" not in html


def test_a_page_answers_head_and_refuses_other_methods(client, knowledge_base):
    assert client.head("/").status_code == 200
    response = client.post("/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


# ---------------------------------------------------------------- the landing page


def test_the_landing_page_says_what_the_knowledge_base_covers_and_links_everything(client, knowledge_base):
    html = page(client, "/")

    assert "Secure Communities" in html
    for count, noun in (
        (Position.objects.count(), "positions"),
        (Source.objects.count(), "sources"),
        (Jurisdiction.objects.count(), "jurisdictions"),
        (Citation.objects.count(), "citations"),
        (Event.objects.annotate(told=Count("versions")).filter(told__gt=1).count(), "disputed events"),
    ):
        assert f"<strong>{count}</strong> {noun}" in html
    assert "Jan 2006 – Jun 2011" in html  # the positions' date range
    for href in (
        reverse("pages:program", args=[PROGRAM]),
        reverse("pages:sources"),
        reverse("swagger-ui"),
        reverse("redoc"),
        reverse("schema"),
        reverse("api-root"),
        "/api/v1/export/",
        reverse("admin:index"),
    ):
        assert f'href="{href}"' in html, href


def test_the_home_page_is_no_longer_a_redirect(client, knowledge_base):
    response = client.get("/")

    assert response.status_code == 200
    assert "Location" not in response


# ---------------------------------------------------------------- the program's timeline


def test_the_timeline_draws_a_mark_for_every_position_linking_to_it(client, knowledge_base):
    html = page(client, f"/programs/{PROGRAM}/")

    drawn = marks_of(html)
    assert sorted(drawn) == sorted(Position.objects.filter(program__slug=PROGRAM).values_list("slug", flat=True))
    # One lane per holder, and the list below the picture names every position too.
    assert html.count('class="lane-name"') == Position.objects.values("holder_key").distinct().count()
    assert html.count('<tr class="disputed-row">') == Position.objects.disputed().count()


def test_each_disputed_event_is_framed_with_its_versions_marked(client, knowledge_base):
    html = page(client, f"/programs/{PROGRAM}/")

    disputed_events = Event.objects.annotate(versions_count=Count("versions")).filter(versions_count__gt=1)
    assert html.count('class="disputed-frame"') == disputed_events.count() == 3
    for event in disputed_events:
        assert f"Disputed: {event.versions_count} versions of one event" in html
    disputed_marks = re.findall(r'class="mark stance-[a-z_]+ disputed"', html)
    assert len(disputed_marks) == Position.objects.disputed().count()


def test_a_day_is_a_point_and_a_longer_date_a_bar(client, knowledge_base):
    html = page(client, f"/programs/{PROGRAM}/")

    points = re.findall(r'data-position="([a-z0-9-]+)"><title>[^<]*</title>\s*<circle', html)
    bars = re.findall(r'data-position="([a-z0-9-]+)"><title>[^<]*</title>\s*<rect', html)
    day = set(Position.objects.filter(date_precision=DatePrecision.DAY).values_list("slug", flat=True))
    assert set(points) == day
    assert set(bars) == set(Position.objects.values_list("slug", flat=True)) - day


def test_the_legend_names_every_stance_and_filters_by_it(client, knowledge_base):
    html = page(client, f"/programs/{PROGRAM}/")
    for stance in Stance:
        assert f'?stance={stance.value}"' in html

    refusals = marks_of(page(client, f"/programs/{PROGRAM}/?stance=refuses"))
    assert sorted(refusals) == sorted(Position.objects.filter(stance=Stance.REFUSES).values_list("slug", flat=True))


def test_the_place_filter_takes_the_places_inside_it(client, knowledge_base):
    drawn = set(marks_of(page(client, f"/programs/{PROGRAM}/?jurisdiction=massachusetts")))

    assert "boston-participates-2011" in drawn  # Boston is inside Massachusetts
    assert MASSACHUSETTS_REFUSES in drawn
    assert not any(slug.startswith("new-york") for slug in drawn)
    expected = Position.objects.held_by_jurisdiction(
        Jurisdiction.objects.get(slug="massachusetts"), include_sub_jurisdictions=True
    )
    assert drawn == set(expected.values_list("slug", flat=True))


@pytest.mark.parametrize(
    "holder, condition",
    [
        ("organization", {"organization__isnull": False}),
        ("jurisdiction", {"jurisdiction__isnull": False, "organization__isnull": True}),
    ],
)
def test_the_holder_filter_keeps_one_kind_of_holder(client, knowledge_base, holder, condition):
    drawn = marks_of(page(client, f"/programs/{PROGRAM}/?holder={holder}"))

    assert sorted(drawn) == sorted(Position.objects.filter(**condition).values_list("slug", flat=True))


def test_the_filters_are_plain_links_that_keep_each_other(client, knowledge_base):
    html = page(client, f"/programs/{PROGRAM}/?stance=refuses")
    filters = html[html.index('<nav class="filters"') : html.index("</nav>", html.index('<nav class="filters"'))]

    assert "<form" not in filters and "<script" not in filters
    assert f'href="/programs/{PROGRAM}/?jurisdiction=massachusetts&amp;stance=refuses"' in filters
    assert f'href="/programs/{PROGRAM}/?holder=organization&amp;stance=refuses"' in filters
    assert 'aria-current="true"' in filters


def test_a_window_draws_only_what_overlaps_it_and_says_what_is_left_out(client, knowledge_base):
    html = page(client, f"/programs/{PROGRAM}/?from=2011-05-01&to=2011-06-30")

    drawn = set(marks_of(html))
    overlapping = Position.objects.filter(date_latest__gte="2011-05-01", date_earliest__lte="2011-06-30")
    assert drawn == set(overlapping.values_list("slug", flat=True))
    left_out = Position.objects.count() - len(drawn)
    assert f"{left_out} positions fall outside" in html
    assert len(re.findall(r'<td><a href="/positions/', html)) == len(drawn)  # the list is of what is drawn
    # A range that began before the window is drawn cut, with an arrow where it goes on.
    assert 'class="clipped"' in html


def test_each_stretch_of_time_kept_is_a_zoom_link(client, knowledge_base):
    html = page(client, f"/programs/{PROGRAM}/")

    # 2006 and 2008 (Boston), then December 2010 to June 2011: the years between are cut out.
    assert html.count('<g class="break">') == 2
    for words in ("2006", "2008", "Dec 2010 – Jun 2011"):
        assert re.search(rf'<a href="[^"]*from=[^"]*">{words}</a>', html), words


@pytest.mark.parametrize(
    "query, named",
    [
        ("stance=likes", {"stance"}),
        ("holder=everyone", {"holder"}),
        ("from=2011-13-01&to=2011-06-30", {"from"}),
        ("from=2011-06-30&to=2011-05-01", {"to"}),
        ("from=2011-05-01", {"to"}),
        ("from=2011-5-1&to=2011-06-30", {"from"}),
        ("jurisdiction=atlantis", {"jurisdiction"}),
        ("colour=red&stance=likes", {"colour", "stance"}),
    ],
)
def test_a_bad_timeline_parameter_is_an_html_400_naming_it(client, knowledge_base, query, named):
    response = client.get(f"/programs/{PROGRAM}/?{query}")

    assert response.status_code == 400
    html = response.content.decode()
    assert set(re.findall(r"<dt><code>([a-z_]+)</code></dt>", html)) == named


def test_an_empty_result_says_so_with_a_way_back(client, knowledge_base):
    html = page(client, "/organizations/centro-presente/?stance=supports")

    assert marks_of(html) == []
    assert "No position matches" in html
    assert 'href="/organizations/centro-presente/"' in html


# ---------------------------------------------------------------- a position


def test_a_position_page_shows_holder_date_words_voices_reasons_and_evidence(client, knowledge_base):
    html = page(client, f"/positions/{MASSACHUSETTS_REFUSES}/")
    position = Position.objects.get(slug=MASSACHUSETTS_REFUSES)

    assert position.summary.replace("'", "&#x27;") in html
    assert 'href="/jurisdictions/massachusetts/"' in html
    assert '<time datetime="2011-06-03">3 June 2011</time>' in html
    assert "<q>dated Friday</q>" in html
    assert 'href="/officials/mary-beth-heffernan/"' in html and 'id="voice-mary-beth-heffernan"' in html
    for reason in position.reasons.all():
        assert f'id="reason-{reason.rank}"' in html
    assert "racial profiling" in html.lower()
    # AP, WBUR (AP's text) and the blog (quoting AP) are one lineage; the Herald and the Globe two more.
    assert "11 citations from 3 independent sources" in html
    assert f'href="http://testserver/api/v1/positions/{MASSACHUSETTS_REFUSES}/"' in html
    assert f'href="/admin/kb/position/{position.pk}/change/"' in html


def test_each_citation_is_shown_in_context_and_links_to_its_highlighted_place(client, knowledge_base):
    html = page(client, f"/positions/{NEW_YORK_WITHDRAWS}/")
    citation = Citation.objects.get(position__slug=NEW_YORK_WITHDRAWS, quote__startswith="New York Gov. Andrew Cuomo")

    anchor = f"/sources/{HERALD}/#c-{citation.start}-{citation.end}"
    assert f'href="{anchor}"' in html
    quoted = re.search(
        r'<span class="context">([^<]*)</span><mark class="quoted">New York Gov\. Andrew Cuomo said last week[^<]*</mark>'
        r'<span class="context">([^<]*)</span>',
        html,
    )
    before, after = quoted.groups()
    # The sentence before, whole; the sentence after, whole, though "Gov." has a full stop.
    assert before == "Patrick’s move comes as two other states pulled out of the program over the last few months. "
    assert after.startswith(" Illinois Gov. Pat Quinn decided in early May to bow out of the program")
    assert after.endswith("hadn’t committed a serious crime.")


def test_a_disputed_position_names_its_event_and_links_its_other_versions(client, knowledge_base):
    html = page(client, f"/positions/{NEW_YORK_WITHDRAWS}/")

    assert 'id="versions"' in html and "Disputed" in html
    assert "one of 3 versions" in html
    for other in ("new-york-suspends-ap-version", "new-york-refuses-globe-version"):
        assert f'href="/positions/{other}/"' in html
    assert f'href="/positions/{NEW_YORK_WITHDRAWS}/"' not in html.split('id="versions"')[1].split("</section>")[0]


def test_a_position_page_shows_its_history(client, knowledge_base, django_user_model):
    position = Position.objects.get(slug=NEW_YORK_WITHDRAWS)
    curator = django_user_model.objects.create_user("curator", password="a long enough password")
    position.summary = "New York withdrew, the Herald says."
    position._history_user = curator
    position.save()

    html = page(client, f"/positions/{NEW_YORK_WITHDRAWS}/")
    history = html.split('id="history"')[1]
    assert "changed (summary) by curator" in history
    assert "created" in history and "the curated file (load_kb)" in history
    assert history.index("changed (summary)") < history.index("created")  # newest first


# ---------------------------------------------------------------- the source reader


def test_the_reader_highlights_every_citation_of_the_source(client, knowledge_base):
    html = page(client, f"/sources/{GLOBE}/")
    citations = Citation.objects.filter(source__slug=GLOBE)

    spans = {f"c-{start}-{end}" for start, end in citations.values_list("start", "end")}
    assert set(re.findall(r'<mark class="cite" data-span="(c-\d+-\d+)" title="[^"]*" id="\1"', html)) == spans
    # Each citation is a note, each note a link to the fact it backs.
    assert len(re.findall(r'<a class="cite-ref" href="[^"#]+#[^"]+"', html)) == citations.count()
    assert len(re.findall(r'<li value="\d+" id="note-\d+">', html)) == citations.count()


def test_every_mark_covers_exactly_its_quote(client, knowledge_base):
    """Overlapping spans nest, so a span crossing another is cut in pieces: together they hold the quote."""
    html = page(client, f"/sources/{GLOBE}/")
    reader = html[html.index('<article class="reader"') : html.index("</article>")]

    for citation in Citation.objects.filter(source__slug=GLOBE):
        span = f"c-{citation.start}-{citation.end}"
        pieces = text_of_marks(reader, span)
        assert pieces.replace("\n", "") == citation.quote.replace("\n", ""), span


def text_of_marks(html, span):
    """The text inside the marks of one span, notes left out, in order."""

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.depth_in_span, self.in_ref, self.text = [], False, []

        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if tag == "mark":
                self.depth_in_span.append(attributes.get("data-span") == span)
            if tag == "a" and "cite-ref" in (attributes.get("class") or ""):
                self.in_ref = True

        def handle_endtag(self, tag):
            if tag == "mark":
                self.depth_in_span.pop()
            if tag == "a":
                self.in_ref = False

        def handle_data(self, data):
            if any(self.depth_in_span) and not self.in_ref:
                self.text.append(data)

    collector = Collect()
    collector.feed(html)
    return "".join(collector.text)


def test_the_reader_sets_reader_comments_apart_as_not_evidence(client, knowledge_base):
    html = page(client, f"/sources/{AP}/")
    comments = SourcePart.objects.get(source__slug=AP, kind="reader_comments")

    aside = re.search(r'<aside class="part part-reader_comments"(.*?)</aside>', html, flags=re.DOTALL).group(1)
    assert "Reader comments</strong>: not the publisher’s text, never evidence" in aside
    assert "<mark" not in aside
    source_text = Source.objects.get(slug=AP).text
    assert "Taxachusetts" in source_text[comments.start : comments.end] and "Taxachusetts" in aside
    assert "Taxachusetts" not in html.split('<aside class="part part-reader_comments"')[0]


def test_the_reader_shows_the_lineage_both_ways(client, knowledge_base):
    wbur = page(client, f"/sources/{WBUR}/")
    assert f'Carries the other source’s text word for word: <a href="/sources/{AP}/">' in wbur.replace("&#x27;", "’")

    ap = page(client, f"/sources/{AP}/")
    assert f'href="/sources/{WBUR}/"' in ap and 'href="/sources/blog-patrick-refuses-to-join-secure-communities/"' in ap


def test_a_reader_note_links_each_kind_of_fact_to_its_page(client, knowledge_base):
    html = page(client, f"/sources/{GLOBE}/")

    assert re.search(r'class="cite-ref" href="/positions/[a-z0-9-]+/#cite-', html)  # a position
    assert re.search(r'class="cite-ref" href="/positions/[a-z0-9-]+/#voice-[a-z0-9-]+"', html)  # a voice
    assert re.search(r'class="cite-ref" href="/positions/[a-z0-9-]+/#reason-\d+"', html)  # a reason
    assert re.search(rf'class="cite-ref" href="/programs/{PROGRAM}/#fact-[a-z0-9-]+"', html)  # a program fact
    assert re.search(r'class="cite-ref" href="/officials/[a-z0-9-]+/#identity"', html)  # who an official is
    assert re.search(r'class="cite-ref" href="/[a-z]+/[a-z0-9-]+/#other-names"', html)  # an other name


def test_every_fragment_a_page_links_to_exists_on_its_target(client, knowledge_base):
    """Reader notes land on the fact, facts' quotes on the reader's span."""
    for path in (f"/sources/{GLOBE}/", f"/positions/{MASSACHUSETTS_REFUSES}/", f"/programs/{PROGRAM}/"):
        html = page(client, path)
        for target, fragment in set(re.findall(r'href="(/[a-z]+/[a-z0-9-]+/)#([a-z0-9-]+)"', html)):
            assert f'id="{fragment}"' in page(client, target), f"{path} links {target}#{fragment}"


def test_the_sources_page_lists_every_source_with_its_quotes(client, knowledge_base):
    html = page(client, "/sources/")

    for source in Source.objects.annotate(quotes=Count("citations")):
        assert f'href="/sources/{source.slug}/"' in html
        assert f"<td>{source.quotes}</td>" in html


# ---------------------------------------------------------------- jurisdiction, organization, official


def test_a_jurisdiction_page_has_its_timeline_with_the_places_inside_it(client, knowledge_base):
    html = page(client, "/jurisdictions/massachusetts/")

    drawn = set(marks_of(html))
    assert {MASSACHUSETTS_REFUSES, "boston-participates-2011"} <= drawn
    assert 'href="/jurisdictions/boston/"' in html and 'href="/jurisdictions/united-states/"' in html
    assert "ocd-division/country:us/state:ma" in html


def test_an_official_page_has_what_the_official_held_and_voiced(client, knowledge_base):
    html = page(client, "/officials/mary-beth-heffernan/")

    voiced = set(
        Position.objects.voiced_by(official=Official.objects.get(slug="mary-beth-heffernan")).values_list(
            "slug", flat=True
        )
    )
    assert set(marks_of(html)) == voiced
    assert "Mary E. Heffernan" in html  # an other name, cited
    assert 'id="identity"' in html and 'id="other-names"' in html


def test_an_organization_page_has_what_it_held_and_voiced(client, knowledge_base):
    html = page(client, "/organizations/law-enforcement-officials/")

    assert set(marks_of(html)) == {"law-enforcement-officials-oppose"}
    assert "Heffernan said some law enforcement officials" in html


# ---------------------------------------------------------------- cost and caching


# (path, queries on the real knowledge base and at any size; what they are)
QUERY_BUDGETS = [
    ("/", 13, "version; programs, other names, their citations, citations; date range; 7 counts"),
    (
        f"/programs/{PROGRAM}/",
        20,
        "version; the program (+ other names, their citations, citations, facts, their voices, the voices' "
        "citations, the facts' citations); positions (+ voices, their citations, reasons, their citations, "
        "citations, versions); kinds of organization and of jurisdiction; places; source names",
    ),
    (
        f"/programs/{PROGRAM}/?jurisdiction=massachusetts&stance=refuses",
        19,
        "as above, and the jurisdiction filter's lookup; no organization among the positions, so no kinds read",
    ),
    (
        f"/positions/{NEW_YORK_WITHDRAWS}/",
        11,
        "version; the position (+ voices, their citations, reasons, their citations, citations, versions); "
        "its sources (+ their parts); its history",
    ),
    ("/sources/", 4, "version; sources (+ parts); quotes per source"),
    (f"/sources/{GLOBE}/", 5, "version; the source (+ parts); sources derived from it; its citations' facts"),
    (
        "/jurisdictions/massachusetts/",
        11,
        "version; the jurisdiction; its path; positions (+ voices, their citations, reasons, their citations, "
        "citations); kinds; places inside it",
    ),
]


@pytest.mark.parametrize("path, queries, which", QUERY_BUDGETS)
def test_a_page_costs_a_fixed_number_of_queries(
    client, knowledge_base, django_assert_num_queries, path, queries, which
):
    with django_assert_num_queries(queries):
        page(client, path)


@pytest.mark.parametrize("path, queries, which", QUERY_BUDGETS)
def test_a_page_costs_the_same_on_a_bigger_knowledge_base(
    client, scaled_kb, django_assert_num_queries, path, queries, which
):
    with django_assert_num_queries(queries):
        html = page(client, path)
    if path == f"/programs/{PROGRAM}/":
        assert len(marks_of(html)) == Position.objects.filter(program__slug=PROGRAM).count() == 21 + 60


@pytest.mark.parametrize("path", PAGES)
def test_a_page_seen_before_costs_one_query_until_the_knowledge_base_changes(
    client, knowledge_base, django_assert_num_queries, path
):
    first = page(client, path)
    with django_assert_num_queries(1):  # the knowledge base's version
        assert page(client, path) == first


def test_a_change_shows_on_the_next_view(client, knowledge_base):
    before = page(client, f"/positions/{NEW_YORK_WITHDRAWS}/")
    position = Position.objects.get(slug=NEW_YORK_WITHDRAWS)
    position.summary = "Cuomo said last week he was withdrawing."
    position.save()

    after = page(client, f"/positions/{NEW_YORK_WITHDRAWS}/")
    assert after != before
    assert "Cuomo said last week he was withdrawing." in after
    assert "Cuomo said last week he was withdrawing." in page(client, f"/programs/{PROGRAM}/")


def test_the_version_changes_with_every_kind_of_write(knowledge_base):
    versions = [knowledge_base_version()]
    program = Program.objects.get(slug=PROGRAM)
    event = Event.objects.create(slug="a-new-event", program=program, summary="Something happened.")
    versions.append(knowledge_base_version())
    event.summary = "Something else happened."
    event.save()
    versions.append(knowledge_base_version())
    event.delete()
    versions.append(knowledge_base_version())

    assert len(set(versions)) == len(versions)


# ---------------------------------------------------------------- the pages' own computations


def test_crossing_spans_nest_and_each_ends_with_its_notes():
    text = "one two three four five"
    spans = [reading.Span(4, 13, "two three"), reading.Span(8, 18, "three four")]
    spans[0].backs = [reading.Backed("position", "A", "/positions/a/", 1)]
    spans[1].backs = [reading.Backed("a reason", "B", "/positions/b/#reason-0", 2)]

    [block] = reading.highlight(text, [], spans)

    html = str(block.html)
    assert unclosed_or_misnested(html) == []
    assert text_of_marks(html, "c-4-13") == "two three"
    assert text_of_marks(html, "c-8-18") == "three four"
    # The first span's note closes it inside the second; the second reopens as a piece without an id.
    assert html.count('id="c-8-18"') == 1 and html.count('data-span="c-8-18"') == 2
    assert html.index('href="/positions/a/"') < html.index('href="/positions/b/#reason-0"')


def test_parts_are_blocks_of_their_own_without_marks():
    text = "Header line\n\nThe publisher's words.\n\nComments\n1. A reader."
    parts = [
        {"kind": "reposter_header", "start": 0, "end": 11},
        {"kind": "reader_comments", "start": text.index("Comments"), "end": len(text)},
    ]
    span = reading.Span(13, 35, "The publisher's words.")
    span.backs = [reading.Backed("position", "A", "/positions/a/", 1)]

    blocks = reading.highlight(text, parts, [span])

    assert [block.kind for block in blocks] == ["reposter_header", "text", "reader_comments"]
    assert "<mark" in blocks[1].html and "<mark" not in blocks[0].html + blocks[2].html


@pytest.mark.parametrize(
    "text, quote, before, after",
    [
        ("First one. Second one. Third one. Fourth one.", "Third one.", "Second one. ", " Fourth one."),
        (
            "Illinois Gov. Pat Quinn left. He said so. Then more.",
            "He said so.",
            "Illinois Gov. Pat Quinn left. ",
            " Then more.",
        ),
        (
            "Mary E. Heffernan wrote. The U.S. Department answered. End.",
            "The U.S. Department",
            "Mary E. Heffernan wrote. ",
            " answered. End.",
        ),
        ("A headline\n\nThe text starts here. Next.", "The text", "A headline ", " starts here. Next."),
    ],
)
def test_context_is_the_sentence_before_and_after(text, quote, before, after):
    start = text.index(quote)

    assert reading.context(text, [], start, start + len(quote)) == (before.lstrip(), after)


def test_context_never_reaches_into_a_part_that_is_not_the_publishers():
    text = "Reposted by a blog.\n\nThe story. Its quote. The end."
    parts = [{"kind": "reposter_header", "start": 0, "end": len("Reposted by a blog.")}]
    start = text.index("The story.")

    assert reading.context(text, parts, start, start + len("The story."))[0] == ""


@pytest.mark.parametrize(
    "earliest, latest, precision, words, machine",
    [
        ("2011-06-03", "2011-06-03", "day", "3 June 2011", "2011-06-03"),
        ("2011-05-30", "2011-06-05", "week", "the week of 30 May to 5 June 2011", "2011-W22"),
        ("2010-12-01", "2010-12-31", "month", "December 2010", "2010-12"),
        ("2006-01-01", "2006-12-31", "year", "2006", "2006"),
        ("2011-05-01", "2011-05-10", "range", "between 1 May and 10 May 2011", None),
        ("2010-12-28", "2011-01-03", "range", "between 28 December 2010 and 3 January 2011", None),
    ],
)
def test_an_interval_in_words(earliest, latest, precision, words, machine):
    interval = Interval.of({"date_earliest": earliest, "date_latest": latest, "date_precision": precision})

    assert interval.words() == words
    assert interval.machine() == machine


def _position(slug, earliest, latest, precision, event=None, holder="new-york", versions=()):
    return {
        "slug": slug,
        "stance": "refuses",
        "summary": slug,
        "date_earliest": earliest,
        "date_latest": latest,
        "date_precision": precision,
        "date_text": "",
        "jurisdiction": {"slug": holder, "name": holder.title()},
        "organization": None,
        "official": None,
        "event": {"slug": event, "summary": "One event."} if event else None,
        "disputed": bool(versions),
        "versions": list(versions),
    }


def test_the_versions_of_an_event_sit_on_consecutive_rows_inside_one_frame():
    positions = [
        _position("a", "2011-05-30", "2011-06-05", "week", "e", versions=["b", "c"]),
        _position("b", "2011-06-06", "2011-06-06", "day", "e", versions=["a", "c"]),
        _position("c", "2011-06-03", "2011-06-09", "range", "e", versions=["a", "b"]),
        _position("d", "2008-01-01", "2008-12-31", "year"),
    ]

    drawn = timeline.layout(positions, {("jurisdiction", "new-york"): "state"}, lambda kind, slug: f"/{kind}/{slug}/")

    [lane] = drawn.lanes
    [frame] = drawn.frames
    versions = sorted((mark for mark in drawn.marks if mark.slug in "abc"), key=lambda mark: mark.y)
    assert [mark.y - versions[0].y for mark in versions] == [0, timeline.ROW_HEIGHT, 2 * timeline.ROW_HEIGHT]
    for mark in versions:
        assert frame.y <= mark.top and mark.top + timeline.BAR_HEIGHT <= frame.y + frame.height
        assert frame.x <= mark.x - (mark.radius if mark.is_point else 0)
        assert mark.end + (mark.radius if mark.is_point else 0) <= frame.x + frame.width
        assert mark.disputed
    assert len(drawn.breaks) == 1  # 2009 and 2010 are cut out
    [point] = [mark for mark in drawn.marks if mark.slug == "b"]
    assert point.is_point
    [year] = [mark for mark in drawn.marks if mark.slug == "d"]
    [week] = [mark for mark in drawn.marks if mark.slug == "a"]
    assert year.width == pytest.approx(week.width * 366 / 7, rel=0.01)  # one scale for every stretch
