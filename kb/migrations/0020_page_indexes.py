"""Indexes that let a page of positions cost the page, whatever the size of the table (issue 18).

- `kb_position_date_order` replaces `kb_position_date_slug`: the list order (date_earliest,
  slug) with the columns `date_after` and `as_of` test, so those are checked in the index while
  it hands rows over in order.
- `kb_position_stance_order`, `kb_position_program_order` replace `..._date`: the same with
  those columns too, so `as_of` with a stance or a program is read from the index as well;
  `kb_position_program_stance` for the pair.
- The foreign keys of a position's program and holder lose their one-column indexes: the
  (key, date_earliest, slug) indexes answer every lookup those did, and an index on the key alone
  only tempts a planner into reading matches out of order and sorting them all.
- `kb_position_event_date`: positions of events, in order (`?disputed=true`).
- `kb_voice_*_position`, `kb_citation_source_position`: `?voiced_by=`, the timelines and
  `?source=` read the positions' keys from the index alone.
- `kb_position_date_span` (by SQL: an expression index, which Django's `Meta.indexes` would write
  with a function SQLite files do not carry): each position's interval length, so the longest is
  one lookup (kb.intervals bounds `date_after` with it).

"""

import django.db.models.deletion
from django.db import migrations, models

from kb.intervals import span_index_sql
from kb.search import index


def create_span_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in ("postgresql", "sqlite"):
        schema_editor.execute(span_index_sql(vendor, "kb_position", "date"))


def drop_span_index(apps, schema_editor):
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):
        schema_editor.execute("DROP INDEX IF EXISTS kb_position_date_span")


def drop_search_views(apps, schema_editor):
    # SQLite checks every view as it renames a rebuilt table; migrate's end makes them again.
    if schema_editor.connection.vendor == "sqlite" and index.installed(schema_editor.connection):
        index._sqlite_drop_views(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0019_drop_prefix_search_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_search_views, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="position", name="kb_position_date_slug"),
        migrations.RemoveIndex(model_name="position", name="kb_position_program_date"),
        migrations.RemoveIndex(model_name="position", name="kb_position_stance_date"),
        migrations.AlterField(
            model_name="position",
            name="jurisdiction",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="positions",
                to="kb.jurisdiction",
            ),
        ),
        migrations.AlterField(
            model_name="position",
            name="official",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The official whose own stance it is; who voiced a stance is in its voices.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="positions",
                to="kb.official",
            ),
        ),
        migrations.AlterField(
            model_name="position",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="positions",
                to="kb.organization",
            ),
        ),
        migrations.AlterField(
            model_name="position",
            name="program",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="positions",
                to="kb.program",
            ),
        ),
        migrations.AddIndex(
            model_name="position",
            index=models.Index(
                fields=["program", "date_earliest", "slug", "date_latest", "in_force_from", "in_force_until"],
                name="kb_position_program_order",
            ),
        ),
        migrations.AddIndex(
            model_name="position",
            index=models.Index(
                fields=["stance", "date_earliest", "slug", "date_latest", "in_force_from", "in_force_until"],
                name="kb_position_stance_order",
            ),
        ),
        migrations.AddIndex(
            model_name="position",
            index=models.Index(fields=["program", "stance", "date_earliest", "slug"], name="kb_position_program_stance"),
        ),
        migrations.AddIndex(
            model_name="citation",
            index=models.Index(fields=["source", "position"], name="kb_citation_source_position"),
        ),
        migrations.AddIndex(
            model_name="position",
            index=models.Index(
                fields=["date_earliest", "slug", "date_latest", "in_force_from", "in_force_until"],
                name="kb_position_date_order",
            ),
        ),
        migrations.AddIndex(
            model_name="position",
            index=models.Index(
                condition=models.Q(("event__isnull", False)), fields=["date_earliest", "slug"], name="kb_position_event_date"
            ),
        ),
        migrations.AddIndex(
            model_name="voice",
            index=models.Index(fields=["official", "position"], name="kb_voice_official_position"),
        ),
        migrations.AddIndex(
            model_name="voice",
            index=models.Index(fields=["organization", "position"], name="kb_voice_organization_position"),
        ),
        migrations.RunPython(create_span_index, drop_span_index),
        migrations.RunPython(migrations.RunPython.noop, drop_search_views),
    ]
