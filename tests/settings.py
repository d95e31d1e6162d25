"""The project's settings as production has them (debug off), with a key that is only for tests.

pytest-django imports the settings before any conftest.py runs, so the key cannot be set there.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")

from config.settings import *  # noqa: E402, F403

# No collectstatic before tests: serve assets straight from the apps, as `make run` does,
# so pages under test (admin, Swagger UI, ReDoc) load every asset they reference.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # nothing is collected for tests; whitenoise would warn about the missing folder

# Tests create and sign in users by the hundred; production's hasher (PBKDF2, a million
# iterations) spends about 0.2 s of CPU on each. Subprocesses started with config.settings still
# hash as production does (tests/test_setup.py checks both).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
