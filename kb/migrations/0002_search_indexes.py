"""GIN full-text indexes on PostgreSQL for `?search=`; other databases search without them.

The indexed expression is exactly the one kb.search queries:
to_tsvector('simple', COALESCE(search_text, '')).
"""

from django.db import migrations

SEARCHABLE_TABLES = ["kb_source", "kb_jurisdiction", "kb_organization", "kb_official", "kb_program", "kb_position"]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SEARCHABLE_TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_gin ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SEARCHABLE_TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_gin")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
