"""Settings, read from the environment (12-factor). docs/configuration.md describes every variable."""

import datetime
import ipaddress
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default=False):
    """A boolean variable; anything but a clear yes/no is a start-up error, not a silent False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}.")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from None


def env_rate(name):
    """A request rate such as "120/min" (per s, min, hour or day), or None when unset: no limit."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", raw):
        raise ImproperlyConfigured(f"{name} must be a rate such as 120/min (per s, min, hour or day), not {raw!r}.")
    return raw


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_seconds(name, default):
    """A non-negative number of seconds, fractions allowed (0.5)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not value >= 0 or value == float("inf"):
        raise ImproperlyConfigured(f"{name} must be a number of seconds (0 or more), not {raw!r}.")
    return value


def env_networks(name):
    """Comma-separated addresses or networks (127.0.0.1, 10.0.0.0/8, ::1)."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated addresses or networks such as 127.0.0.1 or 10.0.0.0/8, not {item!r}."
            ) from None
    return networks


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off: "
            "set it to a long random string, or set DJANGO_DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key"

# Loopback always answers, so tests and benchmarks can talk plain HTTP to the app.
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") + ["localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "simple_history",
    "axes",
    "kb",
    "api",
    "pages",
]

MIDDLEWARE = [
    # First: the client's address and scheme, from X-Forwarded-* only when the proxy sent them.
    "config.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every HTML page (admin, browsable API, docs) gets a Content-Security-Policy.
    "config.security.ContentSecurityPolicyMiddleware",
    # Compresses what the conditional middlewares pass on (ETags are weakened by gzip: W/"kb12").
    "config.compression.GZipWithoutSessionsMiddleware",
    # Outside the API, an ETag from the body (the schema, the docs pages); the API's come from the
    # knowledge-base version (config.http_cache, below).
    "config.http_cache.BodyETagOutsideTheAPIMiddleware",
    # Before anything that may answer (CommonMiddleware), so every API answer carries CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    # A database that does not answer is a quick 503, not a 500 or a hung request; a read replica
    # that fails mid-request is retried once on the primary.
    "config.middleware.DatabaseUnavailableMiddleware",
    # Which database this request reads from: a replica, or the primary after the client wrote.
    "config.replicas.ReadReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The knowledge-base version as ETag and Last-Modified; a revalidation is a 304 before any
    # view runs. Cache-Control for CDNs and browsers. After authentication: it must know who asks.
    "config.http_cache.KnowledgeBaseCacheMiddleware",
    # An anonymous page computed since K last advanced, answered from the cache (Redis).
    "config.response_cache.ResponseCacheMiddleware",
    # Lets every change's history record name its user (DRF sets the user on this request too).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: a locked-out sign-in is answered with the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Where the downloads of the whole knowledge base (api.export) are kept, one folder per version.
KB_EXPORT_DIR = Path(os.environ.get("DJANGO_EXPORT_DIR") or BASE_DIR / "exports")

# bench/run.py only: the floor views at /bench/floor/ and a query count on every answer. Never in production.
KB_BENCH_FLOOR = env_bool("KB_BENCH_FLOOR", False)
if KB_BENCH_FLOOR:
    MIDDLEWARE.insert(0, "bench.middleware.QueryCountMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url):
    database = dj_database_url.parse(url, conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 600), conn_health_checks=True)
    if database["ENGINE"] == "django.db.backends.postgresql":
        # A database that is down or unreachable fails the request within seconds (a 503), instead
        # of holding a worker for the operating system's TCP timeout.
        options = database.setdefault("OPTIONS", {})
        options["connect_timeout"] = env_int("DJANGO_DB_CONNECT_TIMEOUT", 2)
        # Every table scan starts at the table's first block, not where another scan has got to:
        # a searched list's count measures how far into the table its matches go (kb.search.page_plan).
        # No parallel workers: a page needs a few hundred rows, and starting a worker costs more
        # than reading them (at 200,000 positions ?disputed=true took 16 ms with one, 1.5 without).
        options["options"] = (
            f"{options.get('options', '')} -c synchronize_seqscans=off -c max_parallel_workers_per_gather=0".strip()
        )
    elif database["ENGINE"] == "django.db.backends.sqlite3":
        # A transaction takes SQLite's write lock when it begins, and a second writer waits for it:
        # begun as a reader, it could not upgrade while the first wrote, and failed at once
        # ("database is locked", a 503) where it should have been checked (a 412 on a stale If-Match).
        database.setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)
    return database


DATABASES = {"default": _database(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas (PostgreSQL streaming replicas of the primary, DATABASE_URL), comma-separated URLs.
# config.replicas routes a request's reads to one of them, its writes to the primary. Each is
# "replica1", "replica2", ... In tests a replica mirrors the test database (pytest-django creates
# none for it), so the suite runs as it does without replicas.
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    if not _url.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URLS must be comma-separated PostgreSQL URLs (postgres://...), not {_url!r}."
        )
    DATABASES[f"replica{_number}"] = {**_database(_url), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["config.replicas.ReadReplicaRouter"]
# A replica further behind the primary than this is skipped until it catches up.
REPLICA_MAX_LAG_SECONDS = env_seconds("DJANGO_REPLICA_MAX_LAG_SECONDS", 5)
# Seconds a client that wrote reads from the primary (a signed cookie), so it sees its writes.
# Longer than the lag bound: after it, any replica still in use has the write.
REPLICA_STICKY_SECONDS = env_seconds("DJANGO_REPLICA_STICKY_SECONDS", max(10, 2 * REPLICA_MAX_LAG_SECONDS))
# How often each process asks a replica how far behind it is (and retries one that failed).
REPLICA_CHECK_SECONDS = env_seconds("DJANGO_REPLICA_CHECK_SECONDS", 1)
if REPLICA_STICKY_SECONDS < REPLICA_MAX_LAG_SECONDS:
    raise ImproperlyConfigured(
        "DJANGO_REPLICA_STICKY_SECONDS must be at least DJANGO_REPLICA_MAX_LAG_SECONDS: a client that wrote "
        "would otherwise read from a replica that may not have its write yet."
    )

# The cache holds the throttles' counters. REDIS_URL shares it between every process and machine;
# without it each process keeps its own (`make run`, the tests).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// (or rediss://, unix://) URL, not {REDIS_URL!r}.")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kb",
            # A Redis that does not answer fails the request quickly (a 503), as a database does.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic's output, which the proxy serves (deploy/nginx.conf.template) and whitenoise reads the manifest of.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and `make run` serve assets straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("DJANGO_STATIC_FROM_APPS", False)

# Production sits behind a proxy (deploy/nginx.conf.template) that sets X-Forwarded-For and
# X-Forwarded-Proto. They are believed only from these addresses: from anyone else
# config.proxies drops them, so a client cannot pick its address (and its rate) or claim https.
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")
if os.environ.get("DJANGO_NUM_PROXIES", "").strip() not in ("", "0"):
    raise ImproperlyConfigured(
        "DJANGO_NUM_PROXIES is no longer read: it let a client that reaches the app directly pick its own "
        "address. Set DJANGO_TRUSTED_PROXIES to the proxy's address or network instead."
    )
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxy redirects http to https; the app itself must still answer plain HTTP on loopback.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A failed CSRF check under /api/ answers in the API's JSON error shape.
CSRF_FAILURE_VIEW = "api.exceptions.csrf_failure"
# Load balancers probe /healthz over plain HTTP, behind or beside the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# W008 nags about the redirect the proxy does for us; W021 about HSTS preloading, a
# hard-to-undo commitment an operator opts into with DJANGO_SECURE_HSTS_PRELOAD.
SILENCED_SYSTEM_CHECKS = ([] if SECURE_SSL_REDIRECT else ["security.W008"]) + (
    [] if SECURE_HSTS_PRELOAD else ["security.W021"]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StrictLimitOffsetPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.JSONRenderer",
        "api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.KnowledgeBaseAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": False,  # figures are JSON numbers
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Secure Communities knowledge base API",
    "DESCRIPTION": (BASE_DIR / "api" / "DESCRIPTION.md").read_text(encoding="utf-8"),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "Stance": "kb.models.Stance",
        "DatePrecision": "kb.models.DatePrecision",
        "DateBasis": "kb.models.DateBasis",
        "SourceKind": "kb.models.SourceKind",
        "SourcePartKind": "kb.models.SourcePartKind",
        "JurisdictionKind": "kb.models.JurisdictionKind",
        "OrganizationKind": "kb.models.OrganizationKind",
        "ProgramFactKind": "kb.models.ProgramFactKind",
        "ValueQualifier": "kb.models.ValueQualifier",
        "ErrorCode": "api.exceptions.ERROR_CODE_CHOICES",
        "InForce": "kb.models.InForce",
        "ReasonTopic": "kb.models.ReasonTopic",
        "Derivation": "kb.models.Derivation",
    },
    "ENUM_GENERATE_CHOICE_DESCRIPTION": True,
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "displayOperationId": False},
}

# Throttling: anonymous clients by address, signed-in ones by user, at rates such as "120/min"
# (per second, min, hour or day). Off unless set, so development, tests and benchmarks run
# unthrottled; production sets both. Counters live in the cache: with REDIS_URL one rate holds
# across every worker and machine; without it, each process counts alone.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": env_rate("DJANGO_THROTTLE_ANON"),
    "user": env_rate("DJANGO_THROTTLE_USER"),
}
# api.throttling: DRF's, with the IETF RateLimit fields on a 429.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "api.throttling.AnonRateThrottle",
    "api.throttling.UserRateThrottle",
]
# The rates count REMOTE_ADDR, which config.proxies sets to the client's address when the request
# came through a trusted proxy (and leaves as the connecting address otherwise).
REST_FRAMEWORK["NUM_PROXIES"] = 0

# CORS, for read-only browser clients on other origins: comma-separated origins
# (https://app.example.org) or "*". Reading only: writes come from the admin or a token client.
_cors_origins = env_list("DJANGO_CORS_ALLOWED_ORIGINS")
CORS_ALLOW_ALL_ORIGINS = _cors_origins == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else _cors_origins
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"]

# HTTP caching of the API (config.http_cache): anonymous reads are public for this many seconds,
# then may be served stale for as long again while a cache revalidates (304s cost one small query).
CACHE_MAX_AGE_SECONDS = env_int("DJANGO_CACHE_MAX_AGE", 30)
# How long an unread cached page is kept (config.response_cache); 0: no cached pages. On by default
# with the shared cache (REDIS_URL), off without it.
RESPONSE_CACHE_SECONDS = env_int("DJANGO_RESPONSE_CACHE_SECONDS", 300 if REDIS_URL else 0)
CACHE_STALE_SECONDS = env_int("DJANGO_CACHE_STALE_SECONDS", 300)

# Sign-in attempts (django-axes): after this many failures for one username, or from one
# address, sign-in is refused for the cool-off time, and the lockout page says for how long.
AUTHENTICATION_BACKENDS = [
    "config.security.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
# The address config.proxies settled on: the connecting one, or the client's behind a trusted proxy.
AXES_CLIENT_IP_CALLABLE = "config.proxies.client_address"
AXES_SENSITIVE_PARAMETERS = ["password"]
