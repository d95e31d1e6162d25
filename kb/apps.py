from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self):
        from kb import (
            search,  # noqa: F401  (connects the signals that keep search_text current)
            version,
        )

        version.connect()  # every write advances the knowledge base's version (the API's ETag)
