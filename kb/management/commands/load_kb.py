from django.core.management.base import BaseCommand, CommandError

from kb.fixture_build import FIXTURE_FILE
from kb.loading import LoadError, load_knowledge_base


class Command(BaseCommand):
    help = "Load the knowledge base (fixtures/kb.json) into the database. Idempotent and atomic."

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default=str(FIXTURE_FILE), help="Fixture file to load (default: %(default)s).")
        parser.add_argument("--database", default="default", help="Database alias (default: %(default)s).")

    def handle(self, *args, fixture, database, **options):
        try:
            counts = load_knowledge_base(fixture, using=database)
        except LoadError as error:
            raise CommandError(f"{error}\nNothing was changed.") from None
        for label in sorted(counts):
            figures = ", ".join(
                f"{counts[label][kind]} {kind}"
                for kind in ("created", "updated", "unchanged", "removed")
                if counts[label][kind]
            )
            self.stdout.write(f"{label}: {figures}")
        total = sum(sum(counter[kind] for kind in ("created", "updated", "unchanged")) for counter in counts.values())
        self.stdout.write(self.style.SUCCESS(f"Loaded {total} record(s) from {fixture}."))
