"""What bench/run.py requests, chosen from the synthetic knowledge base in the database
DATABASE_URL names: `python -m bench.targets` prints them as JSON.

Each operation has its API path (the floor answers the same path under /bench/floor) and, where
Datasette has an equivalent, its path on Datasette's table JSON API: same table, filter, order
and page size.
"""

import json
import os
from urllib.parse import quote_plus

PAGE = 100
# Searches ask for a page both sizes fill: the first official's surname and a program's first word
# match about 8 positions at 2,000 and 200 at 200,000, and a page of 100 would compare writing 8
# positions with writing 100 rather than the cost of searching (docs/search.md).
SEARCH_PAGE = 5


def operations():
    from api.pagination import KeyOrder
    from kb import synthetic
    from kb.models import Jurisdiction, Official, Position, Program

    positions = synthetic.synthetic(Position)
    program = synthetic.synthetic(Program).order_by("pk").first()
    state = synthetic.synthetic(Jurisdiction).filter(kind="state").order_by("pk").first()
    official = synthetic.synthetic(Official).filter(positions__isnull=False).order_by("pk").first()
    middle = positions.order_by("date", "slug").values_list("date", flat=True)[positions.count() // 2]
    deep = Position.objects.order_by("date", "slug")[int(Position.objects.count() * 0.9)]
    cursor = KeyOrder.of(Position.objects.order_by("date", "slug")).encode([deep.date, deep.slug])
    detail = positions.order_by("pk")[positions.count() // 3]
    search = f"{official.name.split()[-1]} {program.name.split()[0]}"
    phrase = f'"{official.name}"'
    # One letter doubled: a misspelling one edit from the surname (docs/search.md).
    surname = official.name.split()[-1]
    misspelt = f"{surname[:2]}{surname[1:]} {program.name.split()[0]}"
    table = "/bench/kb_position.json"
    # Datasette's JSON also suggests facets by default, a browsing aid the API does not offer: off.
    lean = "_nofacet=1&_nosuggest=1"
    return {
        "list": {
            "path": f"/api/v1/positions/?program={program.slug}&limit={PAGE}",
            "datasette": f"{table}?program_id={program.pk}&_sort=date&_size={PAGE}&_shape=objects&{lean}",
            "what": f"positions of one program, page of {PAGE}",
        },
        "as_of": {
            "path": f"/api/v1/positions/?program={program.slug}&as_of={middle}&limit={PAGE}",
            "what": "the stance in force on a day, one program",
        },
        "as_of_all": {
            "path": f"/api/v1/positions/?as_of={middle}&limit={PAGE}",
            "what": "the stance in force on a day, every program",
        },
        "search": {
            "path": f"/api/v1/positions/?search={quote_plus(search)}&limit={SEARCH_PAGE}",
            "what": f"full-text search '{search}'",
        },
        "search_phrase": {
            "path": f"/api/v1/positions/?search={quote_plus(phrase)}&limit={SEARCH_PAGE}",
            "what": f"phrase search {phrase}",
        },
        "search_misspelt": {
            "path": f"/api/v1/positions/?search={quote_plus(misspelt)}&limit={SEARCH_PAGE}",
            "what": f"misspelt-name search '{misspelt}'",
        },
        "timeline": {
            "path": f"/api/v1/jurisdictions/{state.slug}/timeline/?limit={PAGE}",
            "datasette": f"{table}?jurisdiction_id={state.pk}&_sort=date&_size={PAGE}&_shape=objects&{lean}",
            "what": "a state's timeline (with its cities), page of 100",
        },
        "detail": {
            "path": f"/api/v1/positions/{detail.slug}/",
            "datasette": f"/bench/kb_position/{detail.pk}.json?_shape=objects",
            "what": "one position with its citations",
        },
        "deep_page": {
            "path": f"/api/v1/positions/?limit={PAGE}&cursor={cursor}",
            "datasette": f"{table}?_sort=date&_size={PAGE}&_shape=objects&{lean}&_next={deep.date},{deep.pk}",
            "what": "a page 90% deep into every position, by cursor",
        },
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(json.dumps(operations()))
