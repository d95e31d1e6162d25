from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self):
        from kb import integrity, search, versioning  # noqa: F401  (search connects the signals that keep search_text current)

        integrity.connect()  # before versioning: a refused write advances no version
        versioning.connect()
