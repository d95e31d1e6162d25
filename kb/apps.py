from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self):
        from kb import integrity, search, version, versioning  # noqa: F401  (search connects its signals)

        integrity.connect()  # before versioning: a refused write advances no version
        versioning.connect()
        version.connect()  # every write advances the knowledge base's version (the API's ETag)
