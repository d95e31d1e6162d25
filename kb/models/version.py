"""The knowledge base's version: one row, advanced by every write to any knowledge-base record.

The API's ETag and Last-Modified come from it (config.http_cache), so a client or a CDN that
revalidates is answered 304 after reading this row alone, without the query its page would cost.
kb.version advances it inside the writer's transaction: a reader sees the new number and the new
rows together, or neither.
"""

from django.db import models
from django.db.models import Q


class KnowledgeBaseVersion(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    number = models.PositiveBigIntegerField(default=1, help_text="Advanced by every write to the knowledge base.")
    changed_at = models.DateTimeField(help_text="When it last advanced: the API's Last-Modified.")

    class Meta:
        verbose_name = "knowledge-base version"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="kb_knowledgebaseversion_one_row")]

    def __str__(self):
        return f"version {self.number}"
