"""What load_kb last loaded, so that the next load tells the fixture's changes from a person's."""

from django.db import models


class LoadedRecord(models.Model):
    """One record of the fixture as load_kb last loaded it: its natural key, the row it went into
    and the fixture's field values then.

    A later load compares three values of each field: this one (what it loaded), the fixture's
    (what it would load now) and the row's (what is there now). The fixture changed a field when
    the first two differ; a person did when the first and the last do (kb.provenance).
    """

    model = models.CharField(max_length=100, help_text='The record\'s model label, e.g. "kb.position".')
    natural_key = models.TextField(help_text="The record's natural key in the fixture, as a JSON list.")
    object_id = models.BigIntegerField(help_text="The row it was loaded into; it may since have been deleted.")
    fields = models.JSONField(help_text="The fixture's field values as loaded, in the fixture's own JSON form.")
    loaded_at = models.DateTimeField(help_text="When these values were loaded.")

    class Meta:
        ordering = ["model", "natural_key"]
        constraints = [
            models.UniqueConstraint(fields=["model", "natural_key"], name="kb_loadedrecord_one_per_key"),
        ]

    def __str__(self):
        return f"{self.model}{self.natural_key}"
