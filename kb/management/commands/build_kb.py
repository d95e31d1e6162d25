from django.core.management.base import BaseCommand, CommandError

from kb.fixture_build import FACTS_FILE, FIXTURE_FILE, BuildError, build_fixture, render_fixture


class Command(BaseCommand):
    help = (
        "Build fixtures/kb.json from the curated facts (fixtures/kb.yaml) and the documents: "
        "find every quote in its source, compute its offsets, check every reference."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Do not write; fail if the committed fixture is out of date."
        )

    def handle(self, *args, check=False, **options):
        try:
            records = build_fixture()
        except BuildError as error:
            raise CommandError(str(error)) from None
        rendered = render_fixture(records)
        if check:
            current = FIXTURE_FILE.read_text(encoding="utf-8") if FIXTURE_FILE.exists() else ""
            if current != rendered:
                raise CommandError(f"{FIXTURE_FILE} is out of date with {FACTS_FILE}: run `python manage.py build_kb`.")
            self.stdout.write(f"{FIXTURE_FILE.name} is up to date ({len(records)} records).")
            return
        FIXTURE_FILE.write_text(rendered, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(records)} records to {FIXTURE_FILE}."))
