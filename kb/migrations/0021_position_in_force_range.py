"""PostgreSQL: a GiST index on the days each position is in force, as a range (`as_of`, kb.models.positions).

`?as_of=D` asks for the positions in force on D: begun by D and not yet superseded. A B-tree on
either day reads every position begun by D (or every one superseded after it) to find the few
that are both; the range's index finds those alone. SQLite has no such index and keeps the
B-tree plan.
"""

from django.db import migrations

from kb.models.positions import IN_FORCE_RANGE_SQL


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS kb_position_in_force_range ON kb_position USING gist ({IN_FORCE_RANGE_SQL}) "
            "WHERE in_force_from IS NOT NULL"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS kb_position_in_force_range")


class Migration(migrations.Migration):
    dependencies = [("kb", "0020_page_indexes")]

    operations = [migrations.RunPython(create_index, drop_index)]
