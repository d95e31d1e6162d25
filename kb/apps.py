from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self):
        from kb import integrity, version, versioning
        from kb.search import index

        integrity.connect()  # before versioning: a refused write advances no version
        versioning.connect()
        version.connect()  # every write advances the knowledge base's version (the API's ETag)
        # kb.search connects the signals that keep search_text current; migrate keeps its indexes.
        pre_migrate.connect(index.before_migrate, sender=self, dispatch_uid="kb.search.before_migrate")
        post_migrate.connect(index.after_migrate, sender=self, dispatch_uid="kb.search.after_migrate")
