from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.exporting import DOCUMENTS_NAME, FACTS_NAME, ExportError, export_knowledge_base, rewrite_curated_file
from kb.fixture_build import DOCUMENTS_DIR, FACTS_FILE


class Command(BaseCommand):
    help = (
        "Write the database's knowledge base as its reviewable source, in the layout of fixtures/: "
        "DIR/kb.yaml (the curated file's schema) and DIR/documents/ (each source's text), then build it. "
        "With --from-fixture, write the committed curated file in the same layout instead (the base of a "
        "reviewer's diff)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, required=True, help="Folder to write kb.yaml and documents/ into.")
        parser.add_argument("--database", default="default", help="Database alias (default: %(default)s).")
        parser.add_argument(
            "--order-like",
            type=Path,
            default=FACTS_FILE,
            help="Curated file whose order of records and keys the export keeps (default: %(default)s).",
        )
        parser.add_argument(
            "--from-fixture",
            nargs="?",
            type=Path,
            const=FACTS_FILE,
            default=None,
            metavar="FACTS",
            help=f"Rewrite this curated file (default: {FACTS_FILE}) and its documents ({DOCUMENTS_DIR}) in the "
            "export's layout, without the database.",
        )

    def handle(self, *args, output, database, order_like, from_fixture, **options):
        try:
            if from_fixture is not None:
                documents = DOCUMENTS_DIR if from_fixture == FACTS_FILE else from_fixture.parent / DOCUMENTS_NAME
                report = rewrite_curated_file(output, from_fixture, documents)
            else:
                report = export_knowledge_base(output, using=database, reference_file=order_like)
        except ExportError as error:
            raise CommandError(str(error)) from None
        for section, count in report.records.items():
            self.stdout.write(f"{section}: {count}")
        for name in report.strays:
            self.stdout.write(
                self.style.WARNING(f"{output / DOCUMENTS_NAME / name}: no source's document (left as it was).")
            )
        written = f"Wrote {output / FACTS_NAME} and {report.documents} document(s) in {output / DOCUMENTS_NAME}"
        if report.problems:
            problems = "\n".join(f"- {problem}" for problem in report.problems)
            raise CommandError(
                f"{written}, but they do not build ({len(report.problems)} problem(s)); fix these in the database "
                f"and export again:\n{problems}"
            )
        self.stdout.write(self.style.SUCCESS(f"{written}; they build."))
