from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.fixture_build import DOCUMENTS_DIR, FACTS_FILE, FIXTURE_FILE, BuildError, build_fixture, render_fixture


class Command(BaseCommand):
    help = (
        "Build the knowledge-base fixture from the curated facts and the documents: "
        "find every quote in its source, compute its offsets, check every reference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--facts", type=Path, default=FACTS_FILE, help="Curated facts (default: %(default)s).")
        parser.add_argument(
            "--documents", type=Path, default=DOCUMENTS_DIR, help="Folder of source texts (default: %(default)s)."
        )
        parser.add_argument(
            "--output", type=Path, default=FIXTURE_FILE, help="Fixture to write (default: %(default)s)."
        )
        parser.add_argument(
            "--check", action="store_true", help="Write nothing; fail if the output file is out of date."
        )

    def handle(self, *args, facts, documents, output, check, **options):
        try:
            records = build_fixture(facts, documents)
        except BuildError as error:
            raise CommandError(str(error)) from None
        rendered = render_fixture(records)
        if check:
            current = output.read_text(encoding="utf-8") if output.exists() else ""
            if current != rendered:
                raise CommandError(f"{output} is out of date with {facts}: run `python manage.py build_kb`.")
            self.stdout.write(f"{output.name} is up to date ({len(records)} records).")
            return
        output.write_text(rendered, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(records)} records to {output}."))
