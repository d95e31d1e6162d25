"""The app as an ASGI application, for comparing an async server's workers (uvicorn) with
gunicorn's sync and gthread ones (bench/run.py --worker-models). The views stay synchronous:
Django runs them in a thread."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()
