"""Read replicas (``DATABASE_REPLICA_URLS``): reads that tolerate lag go to a replica.

What stays on the primary, whatever is read:

- every write, and every read inside a transaction or with ``select_for_update``;
- the apps whose reads must be current: accounts and auth (authentication, roles),
  token rotation and blacklist, sessions, the admin's log, content types, tasks;
- a whole request with an unsafe method (POST, PUT, PATCH, DELETE);
- read-your-writes: for ``DB_REPLICA_STICKY_SECONDS`` after a user's successful write,
  that user's reads too, so "create, then read" never meets a replica that lags.

A replica that does not answer, or lags more than ``DB_REPLICA_MAX_LAG_SECONDS``, is
skipped (each process looks again every few seconds): reads then go to the primary.
"""

import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("keel.replicas")

PRIMARY = "default"
PRIMARY_APPS = frozenset(
    {
        "accounts",
        "admin",
        "auth",
        "contenttypes",
        "django_tasks_database",
        "sessions",
        "token_blacklist",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long a process trusts what it last saw of a replica.
HEALTH_TTL_SECONDS = 5.0
LAG_SQL = (
    "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) "
    "WHERE pg_is_in_recovery() UNION ALL SELECT 0 WHERE NOT pg_is_in_recovery()"
)

_on_primary: ContextVar[bool] = ContextVar("keel_reads_on_primary", default=False)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def replica_lag_seconds(alias: str) -> float:
    """How far ``alias`` is behind the primary (0 for a server that is not a replica)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0])


class ReplicaHealth:
    """Per process: may a replica serve reads? Looked at again every few seconds."""

    def __init__(self, clock=time.monotonic):
        self._seen: dict[str, tuple[bool, float]] = {}
        self._clock = clock

    def usable(self, alias: str) -> bool:
        usable, seen_at = self._seen.get(alias, (False, float("-inf")))
        if self._clock() - seen_at < HEALTH_TTL_SECONDS:
            return usable
        usable = self._look(alias)
        self._seen[alias] = (usable, self._clock())
        return usable

    def forget(self) -> None:
        self._seen.clear()

    def _look(self, alias: str) -> bool:
        try:
            lag = replica_lag_seconds(alias)
        except DatabaseError as error:
            logger.warning("replica %s skipped: %s", alias, error, extra={"replica": alias})
            connections[alias].close()
            return False
        if lag > settings.DB_REPLICA_MAX_LAG_SECONDS:
            logger.warning(
                "replica %s skipped: %.1f s behind", alias, lag, extra={"replica": alias}
            )
            return False
        return True


health = ReplicaHealth()


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry, set by the settings when replicas are configured."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if (
            model._meta.app_label in PRIMARY_APPS
            or _on_primary.get()
            or connections[PRIMARY].in_atomic_block
        ):
            return PRIMARY
        usable = [alias for alias in replica_aliases() if health.usable(alias)]
        return random.choice(usable) if usable else PRIMARY  # noqa: S311 (load spreading)

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # one database, copied

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        return db == PRIMARY


def _sticky_key(user_id: object) -> str:
    return f"keel:replicas:recent-writer:{user_id}"


def reads_from_primary() -> bool:
    """Whether this request's reads go to the primary (no replicas, a write, or sticky)."""
    return not settings.DB_REPLICA_URLS or _on_primary.get()


def read_own_writes(user_id: object) -> None:
    """Called on authentication: a user who wrote a moment ago reads from the primary."""
    if settings.DB_REPLICA_URLS and cache.get(_sticky_key(user_id)):
        _on_primary.set(True)


class ReplicaRequestMiddleware:
    """Unsafe requests read from the primary; a successful write makes its user sticky.

    After AuthenticationMiddleware: an admin session's user is known from the start.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        unsafe = request.method not in SAFE_METHODS
        token = _on_primary.set(unsafe)
        # A signed-in admin (a session; API clients are known only once DRF authenticates
        # them, which calls read_own_writes itself).
        signed_in = not unsafe and settings.SESSION_COOKIE_NAME in request.COOKIES
        if signed_in and request.user.is_authenticated:
            read_own_writes(request.user.pk)
        try:
            response = self.get_response(request)
        finally:
            _on_primary.reset(token)
        # DRF puts the user it authenticated on the Django request too.
        user = getattr(request, "user", None)
        if unsafe and response.status_code < 400 and user is not None and user.is_authenticated:
            cache.set(_sticky_key(user.pk), 1, settings.DB_REPLICA_STICKY_SECONDS)
        return response


def replica_ready_check(alias: str) -> Callable[[], None]:
    """Readiness of one replica: not critical (reads fall back to the primary)."""

    def check() -> None:
        lag = replica_lag_seconds(alias)
        if lag > settings.DB_REPLICA_MAX_LAG_SECONDS:
            raise RuntimeError(f"{lag:.1f} s behind the primary")

    return check
