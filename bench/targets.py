"""What bench/run.py requests, chosen from the synthetic knowledge base in the database that
DATABASE_URL names: `python -m bench.targets` prints the operations as JSON.

Every operation of issue 18: each filter of the positions list alone and the common pairs,
search, facets, a CSV page, the change feed, every timeline, every detail and a deep page. Each
has its API path (the floor answers the same path under /bench/floor) and, where Datasette has
an equivalent (the same rows of the same table, in the same order, a page of the same size), its
path on Datasette's JSON API.

An operation the API does not answer yet (a 400 naming the parameter, a 404 for the path) is
reported by bench/run.py as not available; `needs` says what it waits for. The choices read the
models through `_meta` where they can, so they keep working as fields change.
"""

import json
import os
from urllib.parse import quote, urlencode

PAGE = 100
# A search's page: one that the small knowledge base fills too. A surname is in about 1% of the
# synthetic positions, 18 of 2,000: a page of 100 would compare writing 18 positions with writing 100.
SEARCH_PAGE = 10
# Datasette's table JSON, lean: no facet suggestions (a browsing aid the API does not offer).
DATASETTE_LEAN = {"_size": PAGE, "_shape": "objects", "_nofacet": 1, "_nosuggest": 1}


def operations(database="bench"):
    """{"sort_field", "page", "operations": {name: operation}}; `database` is the SQLite file's
    name as Datasette serves it."""
    from kb import synthetic
    from kb.models import Citation, Jurisdiction, Official, Organization, Position, Program, Source, Stance, Voice

    positions = synthetic.synthetic(Position)
    order = list(Position._meta.ordering)
    date_field = order[0].lstrip("-")
    count = positions.count()
    program = synthetic.synthetic(Program).order_by("pk").first()
    # The first state in order is the one the generator gives the most positions.
    state = synthetic.synthetic(Jurisdiction).filter(kind="state").order_by("pk").first()
    official = synthetic.synthetic(Official).filter(positions__isnull=False).order_by("pk").first()
    organization = synthetic.synthetic(Organization).filter(positions__isnull=False).order_by("pk").first()
    source = synthetic.synthetic(Source).filter(citations__position__isnull=False).order_by("pk").first()
    dates = positions.order_by(*order).values_list(date_field, flat=True)
    middle = dates[count // 2]
    # The middle tenth of the positions by date: a range whose matches grow with the table.
    after, before = dates[int(count * 0.45)], dates[int(count * 0.55)]
    stance = "refuses" if "refuses" in Stance.values else Stance.values[0]
    voice = _voice(official)

    every = Position.objects.all()
    ordered = every.order_by(*order)
    # The page after the last row of the day 90% deep: in the API's order and in Datasette's
    # (the day, then its row id) alike, it starts at the next day, so both read the same rows.
    deep_day = getattr(ordered[int(every.count() * 0.9)], date_field)
    deep_rowid = every.filter(**{date_field: deep_day}).order_by("-pk").values_list("pk", flat=True).first()
    from api.pagination import KeyOrder

    key_order = KeyOrder.of(ordered)
    # The cursor's keys, from a values() row as the paginator reads them (its primary key as "pk").
    keys = [field.attname for field, _ in key_order.fields if not field.primary_key]
    deep = ordered.filter(**{date_field: deep_day}).values("pk", *keys).last()
    cursor = key_order.encode(key_order.values_of(deep))

    last_name = official.name.split()[-1]
    phrase = _stance_phrase(stance)

    table = f"/{database}/{Position._meta.db_table}.json"
    sort = {"_sort": date_field} if not order[0].startswith("-") else {"_sort_desc": date_field}

    def column(model, name):
        return model._meta.get_field(name).column

    def datasette(**where):
        return f"{table}?{urlencode({**where, **sort, **DATASETTE_LEAN})}"

    official_table, official_jurisdiction = Official._meta.db_table, column(Official, "jurisdiction")
    position_jurisdiction, position_official = column(Position, "jurisdiction"), column(Position, "official")
    jurisdiction_table, jurisdiction_parent = Jurisdiction._meta.db_table, column(Jurisdiction, "parent")

    def held_by(ids_sql):
        """The API's `jurisdiction` filter in SQL: the jurisdictions' positions and their officials'."""
        # In parentheses: Datasette joins its filters to `_where` with AND, as written.
        return (
            f"({position_jurisdiction} in ({ids_sql}) or {position_official} in "
            f"(select id from {official_table} where {official_jurisdiction} in ({ids_sql})))"
        )

    subtree = (
        f"with recursive tree(id) as (select {state.pk} union all select j.id from {jurisdiction_table} j "
        f"join tree on j.{jurisdiction_parent} = tree.id) select id from tree"
    )
    cited_by = (
        f"id in (select {column(Citation, 'position')} from {Citation._meta.db_table} "
        f"where {column(Citation, 'source')} = {source.pk})"
    )

    def listing(**params):
        return f"/api/v1/positions/?{urlencode({'limit': PAGE, **params})}"

    ops = {}

    def add(name, group, what, path, datasette_path=None, needs=None):
        ops[name] = {"group": group, "what": what, "path": path}
        if datasette_path:
            ops[name]["datasette"] = datasette_path
        if needs:
            ops[name]["needs"] = needs

    # --- Each filter of the positions list, alone.
    add("stance", "filter", f"stance={stance}", listing(stance=stance), datasette(stance=stance))
    add(
        "program",
        "filter",
        "one program",
        listing(program=program.slug),
        datasette(**{column(Position, "program"): program.pk}),
    )
    add(
        "jurisdiction",
        "filter",
        "a state and its officials",
        listing(jurisdiction=state.slug),
        datasette(_where=held_by(str(state.pk))),
    )
    add(
        "jurisdiction_sub",
        "filter",
        "a state with its cities (include_sub_jurisdictions=true)",
        listing(jurisdiction=state.slug, include_sub_jurisdictions="true"),
        datasette(_where=held_by(subtree)),
    )
    add(
        "official",
        "filter",
        "one official",
        listing(official=official.slug),
        datasette(**{position_official: official.pk}),
    )
    add(
        "organization",
        "filter",
        "one organization",
        listing(organization=organization.slug),
        datasette(**{column(Position, "organization"): organization.pk}),
    )
    add("source", "filter", "cited by one source", listing(source=source.slug), datasette(_where=cited_by))
    add(
        "date_range",
        "filter",
        f"date_after={after}, date_before={before}",
        listing(date_after=after, date_before=before),
        # The API's condition: the interval may fall in the range (latest on or after, earliest on or before).
        datasette(**{f"{column(Position, 'date_latest')}__gte": after, f"{date_field}__lte": before}),
    )
    voice_table = Voice._meta.db_table
    voice_pk = Official.objects.filter(slug=voice).values_list("pk", flat=True).first() if voice else official.pk
    voiced = (
        f"id in (select {column(Voice, 'position')} from {voice_table} where {column(Voice, 'official')} = {voice_pk})"
    )
    add(
        "voiced_by",
        "filter",
        "voiced by one official",
        listing(voiced_by=voice or official.slug),
        datasette(_where=voiced),
    )
    position_event = column(Position, "event")
    disputed = (
        f"({position_event} is not null and exists (select 1 from {Position._meta.db_table} other "
        f"where other.{position_event} = {Position._meta.db_table}.{position_event} "
        f"and other.id != {Position._meta.db_table}.id))"
    )
    add(
        "disputed",
        "filter",
        "disputed=true (events told in several versions)",
        listing(disputed="true"),
        datasette(_where=disputed),
    )
    add("as_of", "filter", f"as_of={middle}, every program", listing(as_of=middle))

    # --- The common pairs.
    add(
        "stance_program",
        "pair",
        f"stance={stance} on one program",
        listing(stance=stance, program=program.slug),
        datasette(stance=stance, **{column(Position, "program"): program.pk}),
    )
    add(
        "stance_jurisdiction",
        "pair",
        f"stance={stance} of a state and its officials",
        listing(stance=stance, jurisdiction=state.slug),
        datasette(stance=stance, _where=held_by(str(state.pk))),
    )
    add("as_of_stance", "pair", f"as_of={middle} and stance={stance}", listing(as_of=middle, stance=stance))
    add("as_of_program", "pair", f"as_of={middle} on one program", listing(as_of=middle, program=program.slug))

    # --- Search.
    add("search_word", "search", f"one word: {last_name}", listing(search=last_name, limit=SEARCH_PAGE))
    add(
        "search_phrase",
        "search",
        f'a quoted phrase: "{phrase}"',
        listing(search=f'"{phrase}"', limit=SEARCH_PAGE),
    )
    misspelt = _misspelt(last_name, every)
    add(
        "search_misspelt",
        "search",
        f"a misspelt name: {misspelt} ({last_name})",
        listing(search=misspelt, limit=SEARCH_PAGE),
    )

    # --- Data out.
    add(
        "facets",
        "data out",
        "counts by stance and program (facet=stance,program)",
        listing(facet="stance,program"),
    )
    # A CSV carries every matching row: one official's bounds it at any size.
    add(
        "csv",
        "data out",
        "CSV of one official's positions",
        f"/api/v1/positions/?{urlencode({'format': 'csv', 'official': official.slug})}",
    )
    add("changes", "data out", "the change feed, a page", f"/api/v1/changes/?limit={PAGE}")

    # --- Timelines.
    add(
        "timeline_jurisdiction",
        "timeline",
        "a state's timeline (its cities and officials too)",
        f"/api/v1/jurisdictions/{state.slug}/timeline/?limit={PAGE}",
        datasette(_where=held_by(subtree)),
    )
    add(
        "timeline_official",
        "timeline",
        "an official's timeline",
        f"/api/v1/officials/{official.slug}/timeline/?limit={PAGE}",
        datasette(
            _where=(
                f"({position_official} = {official.pk} or id in (select {column(Voice, 'position')} "
                f"from {voice_table} where {column(Voice, 'official')} = {official.pk}))"
            )
        ),
    )
    add(
        "timeline_organization",
        "timeline",
        "an organization's timeline",
        f"/api/v1/organizations/{organization.slug}/timeline/?limit={PAGE}",
        datasette(
            _where=(
                f"({column(Position, 'organization')} = {organization.pk} or id in (select "
                f"{column(Voice, 'position')} from {voice_table} where {column(Voice, 'organization')} = {organization.pk}))"
            )
        ),
    )

    # --- Details.
    position = positions.order_by("pk")[count // 3]
    add(
        "detail_position",
        "detail",
        "one position with its citations",
        f"/api/v1/positions/{position.slug}/",
        f"/{database}/{Position._meta.db_table}/{position.pk}.json?_shape=objects",
    )
    for name, record in (
        ("official", official),
        ("organization", organization),
        ("jurisdiction", state),
        ("program", program),
        ("source", source),
    ):
        add(f"detail_{name}", "detail", f"one {name}", f"/api/v1/{name}s/{quote(record.slug)}/")

    # --- A deep page.
    datasette_next = f"{deep_day},{deep_rowid}"
    add(
        "deep_page",
        "deep page",
        "a page 90% deep into every position, by cursor",
        f"/api/v1/positions/?{urlencode({'limit': PAGE, 'cursor': cursor})}",
        f"{table}?{urlencode({**sort, **DATASETTE_LEAN, '_next': datasette_next})}",
    )
    return {"sort_field": date_field, "page": PAGE, "operations": ops}


def _voice(official):
    """An official who voices a synthetic position, once the knowledge model has voices."""
    from django.apps import apps

    from kb import synthetic

    try:
        voice = apps.get_model("kb", "Voice")
        voice._meta.get_field("official")
    except LookupError:
        return None
    except Exception:  # a Voice without an official field
        return None
    return (
        voice.objects.filter(official__slug__startswith=synthetic.SLUG_PREFIX)
        .order_by("official__pk")
        .values_list("official__slug", flat=True)
        .first()
    )


def _stance_phrase(stance):
    """Words the synthetic quotes use for a stance: a phrase every database can find."""
    from kb import synthetic

    phrase = getattr(synthetic, "STANCE_PHRASES", {}).get(stance, "took part in")
    return " ".join(phrase.split()[:4])


def _misspelt(name, positions):
    """One letter off, as search reads it misspelt: a word no position has, which it corrects to
    the name (a vowel changed may make another word: Costa -> Coste, stemmed "cost")."""
    from kb import search

    candidates = []
    for index in range(len(name) - 1, 0, -1):
        if name[index].lower() in "aeiou":
            replacement = "e" if name[index].lower() != "e" else "a"
            candidates.append(name[:index] + replacement + name[index + 1 :])
    candidates += [name[:index] + name[index] + name[index:] for index in range(1, len(name))]  # a letter doubled
    for candidate in candidates:
        if search.prepare(candidate, positions).corrections:
            return candidate
    return candidates[0]


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(json.dumps(operations(os.environ.get("KB_BENCH_DATASETTE_DATABASE", "bench"))))
