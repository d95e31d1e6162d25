"""Reads from PostgreSQL streaming replicas, writes to the primary, and a client sees its own writes.

DATABASE_REPLICA_URLS names the replicas (aliases "replica1", "replica2", ...: config.settings).
For each request, `ReadReplicaMiddleware` picks where its reads go:

- a GET, HEAD or OPTIONS reads from a replica that answers and is at most
  REPLICA_MAX_LAG_SECONDS behind the primary, chosen at random among those;
- any other method (a write) reads from the primary too, so it validates against what it changes;
- a client that wrote in the last REPLICA_STICKY_SECONDS reads from the primary: the write's
  answer carries a signed cookie saying until when. The window is longer than the lag bound, so
  once it has passed, any replica still in use has the write;
- with no replica healthy (or none configured), the primary serves.

Writes always go to the primary (`db_for_write`); outside a request (management commands, tests,
the shell) everything does. Each process asks each replica how far behind it is at most once per
REPLICA_CHECK_SECONDS; a replica that does not answer is left alone until the next check. One
that fails in the middle of a request is marked down and the request is retried on the primary
(config.middleware), so a replica's outage costs no error.
"""

import contextvars
import logging
import random
import threading
import time

from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
STICKY_COOKIE = "kb_primary"
STICKY_SALT = "config.replicas.sticky"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# How far behind the primary this replica is, in seconds. A replica that has replayed all it
# received is current (the primary may simply be idle); otherwise the gap is the age of the last
# transaction it replayed. NULL on a server that is not a replica.
LAG_QUERY = """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN NULL
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
    END
"""

_read_alias = contextvars.ContextVar("kb_read_alias", default=PRIMARY)


def replica_aliases():
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


class ReplicaHealth:
    """Per process: each replica's last known lag, asked again once it is REPLICA_CHECK_SECONDS old."""

    def __init__(self):
        self.lock = threading.Lock()
        self.checked = {}  # alias -> (monotonic time of the check, usable?)

    def usable(self, alias):
        now = time.monotonic()
        with self.lock:
            checked_at, usable = self.checked.get(alias, (None, False))
        if checked_at is not None and now - checked_at < settings.REPLICA_CHECK_SECONDS:
            return usable
        usable = self._check(alias)
        with self.lock:
            self.checked[alias] = (time.monotonic(), usable)
        return usable

    def mark_down(self, alias):
        with self.lock:
            self.checked[alias] = (time.monotonic(), False)

    def forget(self):
        with self.lock:
            self.checked.clear()

    @staticmethod
    def _check(alias):
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute(LAG_QUERY)
                (lag,) = cursor.fetchone()
        except Exception as error:  # a replica down, unreachable or refusing: skipped, never an error
            logger.warning("Read replica %s skipped: it did not answer (%s)", alias, type(error).__name__)
            _close_quietly(connection)
            return False
        if lag is None:
            logger.error("Read replica %s skipped: it is not a replica (it is not in recovery)", alias)
            return False
        if float(lag) > settings.REPLICA_MAX_LAG_SECONDS:
            logger.warning("Read replica %s skipped: %.1f s behind the primary", alias, float(lag))
            return False
        return True


def _close_quietly(connection):
    try:
        connection.close()
    except DatabaseError:
        pass


health = ReplicaHealth()


def sticky_until(request):
    """Until when (a Unix time) this client reads from the primary, from its signed cookie, or None."""
    try:
        until = float(
            request.get_signed_cookie(STICKY_COOKIE, salt=STICKY_SALT, max_age=settings.REPLICA_STICKY_SECONDS)
        )
    except (KeyError, signing.BadSignature, ValueError):
        return None
    return until if until > time.time() else None


def choose_read_alias(request):
    aliases = replica_aliases()
    if not aliases or request.method not in SAFE_METHODS or sticky_until(request) is not None:
        return PRIMARY
    usable = [alias for alias in aliases if health.usable(alias)]
    return random.choice(usable) if usable else PRIMARY


def current_read_alias():
    return _read_alias.get()


class ReadReplicaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.read_alias = choose_read_alias(request)
        token = _read_alias.set(request.read_alias)
        try:
            response = self.get_response(request)
        finally:
            _read_alias.reset(token)
        if replica_aliases() and request.method not in SAFE_METHODS and response.status_code < 500:
            # It may have written: read from the primary for a while, so the client sees it.
            response.set_signed_cookie(
                STICKY_COOKIE,
                str(time.time() + settings.REPLICA_STICKY_SECONDS),
                salt=STICKY_SALT,
                max_age=int(settings.REPLICA_STICKY_SECONDS) + 1,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def retry_on_primary(request):
    """After a replica failed mid-request: mark it down and read from the primary from now on.
    True when the request should be answered again (it read from a replica and may be repeated)."""
    alias = getattr(request, "read_alias", PRIMARY)
    if alias == PRIMARY or request.method not in SAFE_METHODS:
        return False
    health.mark_down(alias)
    _close_quietly(connections[alias])
    request.read_alias = PRIMARY
    _read_alias.set(PRIMARY)
    return True


class ReadReplicaRouter:
    """DATABASE_ROUTERS: reads where the request's middleware said, writes and migrations on the primary."""

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db == PRIMARY:
            return PRIMARY  # related records of a record read from the primary come from there too
        return _read_alias.get()

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's data: records relate across them

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
