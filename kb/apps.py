from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self):
        # Connects the signals that keep search_text current; migrate keeps the search indexes.
        from kb.search import index

        pre_migrate.connect(index.before_migrate, sender=self, dispatch_uid="kb.search.before_migrate")
        post_migrate.connect(index.after_migrate, sender=self, dispatch_uid="kb.search.after_migrate")
