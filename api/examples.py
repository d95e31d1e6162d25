"""Examples for the OpenAPI documentation, taken from the real knowledge base.

`python manage.py make_api_examples` asks the API these requests on the loaded knowledge base
and writes the answers to api/examples.json; a test fails when the file is out of date.
"""

import json
from pathlib import Path

from drf_spectacular.utils import OpenApiExample

EXAMPLES_FILE = Path(__file__).resolve().parent / "examples.json"
EXAMPLE_HOST = "127.0.0.1:8000"

# (resource, action): (summary, path asked, status). A list example is its page, with the first result.
EXAMPLE_REQUESTS = {
    ("positions", "list"): (
        "Who had refused by 6 June 2011",
        "/api/v1/positions/?as_of=2011-06-06&stance=refuses",
        200,
    ),
    ("positions", "retrieve"): (
        "Massachusetts refuses",
        "/api/v1/positions/massachusetts-refuses-secure-communities-2011-06-03/",
        200,
    ),
    ("officials", "list"): ("A variant spelling finds the person", "/api/v1/officials/?search=Mary+E.+Heffernan", 200),
    ("officials", "retrieve"): ("Mary Beth Heffernan", "/api/v1/officials/mary-beth-heffernan/", 200),
    ("officials", "timeline"): ("Deval Patrick's stances", "/api/v1/officials/deval-patrick/timeline/", 200),
    ("jurisdictions", "list"): ("States", "/api/v1/jurisdictions/?kind=state", 200),
    ("jurisdictions", "retrieve"): ("Massachusetts", "/api/v1/jurisdictions/massachusetts/", 200),
    ("jurisdictions", "timeline"): (
        "Massachusetts and Boston over time",
        "/api/v1/jurisdictions/massachusetts/timeline/?program=secure-communities",
        200,
    ),
    ("organizations", "list"): ("Advocacy groups", "/api/v1/organizations/?kind=advocacy_group", 200),
    ("organizations", "retrieve"): ("Centro Presente", "/api/v1/organizations/centro-presente/", 200),
    ("organizations", "timeline"): (
        "What the Patrick administration held or voiced",
        "/api/v1/organizations/patrick-administration/timeline/",
        200,
    ),
    ("programs", "list"): ("Programs", "/api/v1/programs/", 200),
    ("programs", "retrieve"): ("Secure Communities with its facts", "/api/v1/programs/secure-communities/", 200),
    ("sources", "list"): ("Sources published on 6 June 2011", "/api/v1/sources/?published_after=2011-06-06", 200),
    ("sources", "retrieve"): (
        "The Boston Herald article",
        "/api/v1/sources/boston-herald-patrick-refuses-to-sign/",
        200,
    ),
    ("citations", "list"): (
        "Everything the Globe is cited for",
        "/api/v1/citations/?source=boston-globe-patrick-wont-sign",
        200,
    ),
    ("facts", "list"): ("Deportation figures", "/api/v1/facts/?kind=deportations", 200),
    ("facts", "retrieve"): ("In 42 states", "/api/v1/facts/in-42-states/", 200),
    ("search", "list"): ("A misspelt name", "/api/v1/search/?q=Heffernen&type=official", 200),
    ("errors", "400"): (
        "A malformed date and an unknown stance",
        "/api/v1/positions/?date_after=2011-13-01&stance=likes",
        400,
    ),
    ("errors", "404"): ("An unknown slug", "/api/v1/officials/no-such-person/", 404),
}


def load_examples():
    if not EXAMPLES_FILE.exists():
        return {}
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))


def examples_for(resource, action, errors=True):
    """The documented examples of one operation: its own answer, and (`errors`) the errors of the
    knowledge-base resources' parameters it can give."""
    recorded = load_examples()
    examples = []
    own = recorded.get(f"{resource}:{action}")
    if own:
        examples.append(
            OpenApiExample(own["summary"], value=own["value"], description=f"`GET {own['path']}`", response_only=True)
        )
    error_kinds = (["400"] + (["404"] if action in ("retrieve", "timeline") else [])) if errors else []
    for kind in error_kinds:
        error = recorded.get(f"errors:{kind}")
        if error:
            examples.append(
                OpenApiExample(
                    error["summary"],
                    value=error["value"],
                    description=f"`GET {error['path']}`",
                    response_only=True,
                    status_codes=[kind],
                )
            )
    return examples
