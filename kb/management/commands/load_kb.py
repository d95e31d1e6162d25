from django.core.management.base import BaseCommand, CommandError

from kb.fixture_build import FIXTURE_FILE
from kb.loading import LoadError, load_knowledge_base

COUNTED = ("created", "restored", "updated", "unchanged", "kept", "removed", "kept (no longer in the fixture)")


class Command(BaseCommand):
    help = (
        "Load the knowledge base (fixtures/kb.json) into the database, keeping what people changed: it adds "
        "what is new in the fixture and takes what the fixture changed since the last load, but never "
        "overwrites or deletes what a person changed or added since. Atomic; safe at every start."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default=str(FIXTURE_FILE), help="Fixture file to load (default: %(default)s).")
        parser.add_argument("--database", default="default", help="Database alias (default: %(default)s).")
        parser.add_argument(
            "--prefer-fixture",
            action="store_true",
            help="Where the fixture and a person both changed a field since the last load, take the fixture's "
            "value (and bring back fixture records a person deleted). Without it, the person's stays.",
        )

    def handle(self, *args, fixture, database, prefer_fixture, **options):
        try:
            report = load_knowledge_base(fixture, using=database, prefer_fixture=prefer_fixture)
        except LoadError as error:
            raise CommandError(f"{error}\nNothing was changed.") from None
        for label in sorted(report.counts):
            counts = report.counts[label]
            self.stdout.write(f"{label}: {', '.join(f'{counts[kind]} {kind}' for kind in COUNTED if counts[kind])}")
        if report.conflicts:
            if prefer_fixture:
                heading = "changed by a person and by the fixture since the last load; the fixture's value was taken"
            else:
                heading = (
                    "changed by a person and by the fixture since the last load; the person's value was kept "
                    "(load_kb --prefer-fixture takes the fixture's)"
                )
            self.stdout.write(self.style.WARNING(f"{len(report.conflicts)} conflict(s), {heading}:"))
            for conflict in report.conflicts:
                self.stdout.write(f"  {conflict}")
        if report.kept:
            self.stdout.write(self.style.WARNING(f"{len(report.kept)} record(s) kept as people left them:"))
            for line in report.kept:
                self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS(f"Loaded {report.loaded} record(s) from {fixture}."))
