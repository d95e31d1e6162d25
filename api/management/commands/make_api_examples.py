import json

from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from api.examples import EXAMPLE_HOST, EXAMPLE_REQUESTS, EXAMPLES_FILE


def record_examples():
    """Ask the API each example request on the loaded knowledge base; fail on an unexpected status."""
    client = Client(HTTP_HOST=EXAMPLE_HOST)
    recorded = {}
    for (resource, action), (summary, path, status) in EXAMPLE_REQUESTS.items():
        response = client.get(path, HTTP_ACCEPT="application/json")
        if response.status_code != status:
            raise CommandError(f"{path} answered {response.status_code}, not {status}: is the knowledge base loaded?")
        body = response.json()
        # A list's example is its real page, shortened to the first result.
        value = {**body, "results": body["results"][:1]} if status == 200 and "results" in body else body
        recorded[f"{resource}:{action}"] = {"summary": summary, "path": path, "value": value}
    return recorded


def render_examples(recorded):
    return json.dumps(recorded, indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Record the OpenAPI examples from the loaded knowledge base into api/examples.json."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Write nothing; fail if the file is out of date.")

    def handle(self, *args, check, **options):
        rendered = render_examples(record_examples())
        if check:
            if not EXAMPLES_FILE.exists() or EXAMPLES_FILE.read_text(encoding="utf-8") != rendered:
                raise CommandError(f"{EXAMPLES_FILE} is out of date: run `python manage.py make_api_examples`.")
            self.stdout.write(f"{EXAMPLES_FILE.name} is up to date.")
            return
        EXAMPLES_FILE.write_text(rendered, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {EXAMPLES_FILE}."))
