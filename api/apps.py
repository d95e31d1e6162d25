from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        # The change feed's barrier on history writes (api.changes) holds for every writer: the API,
        # the admin and load_kb alike.
        from api import changes  # noqa: F401
