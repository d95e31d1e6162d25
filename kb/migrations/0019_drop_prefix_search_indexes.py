"""The word-prefix GIN indexes of migration 0002 ('simple' configuration): kb.search no longer uses them."""

from django.db import migrations

TABLES = ["kb_source", "kb_jurisdiction", "kb_organization", "kb_official", "kb_program", "kb_position"]


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_gin")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_gin ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"
        )


class Migration(migrations.Migration):
    dependencies = [("kb", "0018_search_indexes")]

    operations = [migrations.RunPython(drop_indexes, create_indexes)]
