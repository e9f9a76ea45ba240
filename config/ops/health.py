"""Liveness and readiness probes: plain Django views, no auth, no throttling, no DRF.

Each readiness check is bounded by its client's own timeout (``DB_CONNECT_TIMEOUT``,
``DB_STATEMENT_TIMEOUT_MS``, ``CACHE_SOCKET_TIMEOUT``), so a dead dependency makes the
probe answer 503 quickly instead of hanging it.
"""

import logging
import time
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.ops import instance

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=5)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not return the value just written")
    cache.delete(key)


# Each check returns nothing on success and raises on failure. A critical one failing
# makes this instance useless (its database): readiness answers 503 and the load
# balancer takes the instance out. The others check services every instance shares
# (Redis, the bucket): failing, they make readiness "degraded" but still 200, so one
# Redis outage does not pull every instance out of the load balancer at once. An app
# adds its own with ``add_ready_check`` in its ``AppConfig.ready()``.
READY_CHECKS: dict[str, tuple[Callable[[], None], bool]] = {
    "database": (check_database, True),
    "cache": (check_cache, False),
}


def add_ready_check(name: str, check: Callable[[], None], *, critical: bool = False) -> None:
    READY_CHECKS[name] = (check, critical)


@require_GET
@never_cache
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    if instance.is_draining():
        # Stopping: the load balancer should send its requests elsewhere from now on.
        return JsonResponse({"status": "draining", "checks": {}}, status=503)
    checks = {
        name: {**_run_check(name, check), "critical": critical}
        for name, (check, critical) in READY_CHECKS.items()
    }
    failed = [check for check in checks.values() if check["status"] != "ok"]
    if any(check["critical"] for check in failed):
        status = "unavailable"
    else:
        status = "degraded" if failed else "ok"
    return JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "unavailable" else 200
    )


def _run_check(name: str, check) -> dict:
    started = time.perf_counter()
    try:
        check()
    # A probe's job is to report any failure of a dependency, whatever its type,
    # rather than crash and leave the orchestrator guessing.
    except Exception as error:  # noqa: BLE001
        logger.warning("readiness check %s failed: %s", name, error)
        status = "error"
    else:
        status = "ok"
    return {"status": status, "ms": round((time.perf_counter() - started) * 1000, 2)}
