import os

# Tests run with debug off, as production does; they need a key, never a real one.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
