import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kb import synthetic


class Command(BaseCommand):
    help = (
        "Generate a synthetic knowledge base at scale beside the real one (slugs start with 'synthetic-'), "
        "replacing any earlier synthetic one; --remove takes it out again. For benchmarks and scale tests."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--positions",
            type=int,
            default=synthetic.DEFAULT_POSITIONS,
            help="Number of positions (default: %(default)s); every other size scales from it.",
        )
        parser.add_argument(
            "--seed", type=int, default=synthetic.DEFAULT_SEED, help="Random seed (default: %(default)s)."
        )
        parser.add_argument("--remove", action="store_true", help="Remove the synthetic knowledge base, and only it.")
        parser.add_argument("--database", default="default", help="Database alias (default: %(default)s).")

    def handle(self, *args, positions, seed, remove, database, verbosity, **options):
        started = time.monotonic()
        if remove:
            deleted = synthetic.remove(using=database)
            self._report("Removed", deleted, started)
            return
        if positions < 1:
            raise CommandError(f"--positions must be 1 or more, not {positions}.")
        bar = tqdm(
            total=synthetic.expected_rows(positions),
            unit=" rows",
            unit_scale=True,
            desc="Writing",
            file=sys.stderr,
            disable=verbosity < 1,
        )
        with bar:
            self.stderr.write(
                f"Building {positions} synthetic positions and everything they cite..."
            ) if verbosity else None
            written = synthetic.generate(positions, seed=seed, using=database, progress=bar.update)
        self._report("Generated", written, started)

    def _report(self, verb, rows, started):
        for model, count in rows.items():
            self.stdout.write(f"kb.{model}: {count}")
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {sum(rows.values())} synthetic row(s) in {time.monotonic() - started:.1f} s.")
        )
