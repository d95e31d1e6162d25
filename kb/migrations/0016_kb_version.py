# The knowledge base's version (kb.models.version): one row, advanced by every write.

import time

import django.utils.timezone
from django.db import migrations, models


def first_version(apps, schema_editor):
    # From the clock, as kb.version does: a database made anew never repeats an earlier one's numbers.
    apps.get_model("kb", "KnowledgeBaseVersion").objects.using(schema_editor.connection.alias).get_or_create(
        id=1, defaults={"number": int(time.time() * 1000), "changed_at": django.utils.timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0015_jurisdiction_path_not_in_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="KnowledgeBaseVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ("number", models.PositiveBigIntegerField(default=1, help_text="Advanced by every write to the knowledge base.")),
                ("changed_at", models.DateTimeField(help_text="When it last advanced: the API's Last-Modified.")),
            ],
            options={
                "verbose_name": "knowledge-base version",
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="kb_knowledgebaseversion_one_row")],
            },
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
