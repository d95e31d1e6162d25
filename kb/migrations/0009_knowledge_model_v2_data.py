"""Carry the data of the first model into the second: single dates become intervals, reader
comments become a part of their source, an official beside a jurisdiction or an organization
becomes the position's voice, and the derived columns (paths, lineage, holder, as_of days) are filled."""

import datetime

from django.db import migrations


def _interval(day, precision):
    if day is None:
        return None, None
    if precision == "month":
        following = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        return day, following - datetime.timedelta(days=1)
    if precision == "year":
        return day, day.replace(month=12, day=31)
    return day, day


def forwards(apps, schema_editor):
    from kb.models.positions import Holder, _in_force_of_group

    Source = apps.get_model("kb", "Source")
    SourcePart = apps.get_model("kb", "SourcePart")
    Jurisdiction = apps.get_model("kb", "Jurisdiction")
    Program = apps.get_model("kb", "Program")
    ProgramFact = apps.get_model("kb", "ProgramFact")
    Position = apps.get_model("kb", "Position")
    Voice = apps.get_model("kb", "Voice")

    for source in Source.objects.all():
        source.published_earliest, source.published_latest = _interval(source.published_on, source.published_precision)
        source.published_text = source.published_quote
        source.lineage_root_id = source.pk
        source.save(update_fields=["published_earliest", "published_latest", "published_text", "lineage_root"])
        if source.comments_start is not None and source.comments_start < len(source.text):
            SourcePart.objects.create(source=source, kind="reader_comments", start=source.comments_start, end=len(source.text))

    paths = {}

    def path_of(jurisdiction):
        if jurisdiction.pk not in paths:
            parent = Jurisdiction.objects.get(pk=jurisdiction.parent_id) if jurisdiction.parent_id else None
            paths[jurisdiction.pk] = f"{path_of(parent) if parent else '/'}{jurisdiction.pk}/"
        return paths[jurisdiction.pk]

    for jurisdiction in Jurisdiction.objects.all():
        Jurisdiction.objects.filter(pk=jurisdiction.pk).update(path=path_of(jurisdiction))

    for program in Program.objects.all():
        program.started_earliest, program.started_latest = _interval(program.started_on, program.started_precision)
        program.save(update_fields=["started_earliest", "started_latest"])

    for fact in ProgramFact.objects.all():
        fact.date_earliest, fact.date_latest = _interval(fact.date, fact.date_precision)
        fact.save(update_fields=["date_earliest", "date_latest"])

    for position in Position.objects.all():
        position.date_earliest, position.date_latest = _interval(position.date, position.date_precision)
        if position.official_id and (position.jurisdiction_id or position.organization_id):
            Voice.objects.create(position=position, official_id=position.official_id, rank=0)
            position.official_id = None
        if position.date_basis == "reported":
            position.date_text = ""
        position.holder_key = Holder.of(position).key
        position.save(update_fields=["date_earliest", "date_latest", "official", "date_text", "holder_key"])

    groups = {}
    for row in Position.objects.values(
        "pk", "program_id", "holder_key", "event_id", "date_earliest", "date_latest",
        "in_force_from", "certain_from", "contested_from", "in_force_until",
    ):
        groups.setdefault((row["program_id"], row["holder_key"]), []).append(row)
    for rows in groups.values():
        for changed in _in_force_of_group(rows):
            Position.objects.filter(pk=changed.pk).update(
                in_force_from=changed.in_force_from,
                certain_from=changed.certain_from,
                contested_from=changed.contested_from,
                in_force_until=changed.in_force_until,
            )


class Migration(migrations.Migration):
    dependencies = [("kb", "0008_knowledge_model_v2")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
