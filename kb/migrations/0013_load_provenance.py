"""What load_kb last loaded (kb.models.provenance.LoadedRecord). The table starts empty: the first
load after this migration records what it loads, and tells a person's earlier changes from the
fixture's by each record's history (kb.provenance)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0012_summary_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="LoadedRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("model", models.CharField(help_text='The record\'s model label, e.g. "kb.position".', max_length=100)),
                ("natural_key", models.TextField(help_text="The record's natural key in the fixture, as a JSON list.")),
                (
                    "object_id",
                    models.BigIntegerField(help_text="The row it was loaded into; it may since have been deleted."),
                ),
                (
                    "fields",
                    models.JSONField(help_text="The fixture's field values as loaded, in the fixture's own JSON form."),
                ),
                ("loaded_at", models.DateTimeField(help_text="When these values were loaded.")),
            ],
            options={
                "ordering": ["model", "natural_key"],
                "constraints": [
                    models.UniqueConstraint(fields=("model", "natural_key"), name="kb_loadedrecord_one_per_key")
                ],
            },
        ),
    ]
