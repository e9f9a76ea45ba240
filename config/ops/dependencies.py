"""Backing services failing: which errors mean that, the circuit breaker, and the metric.

A dependency that is down, refusing or too slow is normal weather, not a bug: requests
that need it answer 503 with ``Retry-After`` (``config.api.errors``), one warning line is
logged per request (no traceback), and ``keel_dependency_errors_total`` counts it by
dependency. Calls to Redis and to the bucket also go through a ``CircuitBreaker``: after
a few failures in a row it stops calling for a few seconds, so a dead service costs
microseconds instead of a timeout per call, then lets one call through to probe.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import botocore.exceptions
import redis.exceptions
from django import db
from prometheus_client import Counter

from config.api.exceptions import (
    CacheUnavailable,
    DatabaseUnavailable,
    DependencyUnavailable,
    StorageUnavailable,
)
from config.ops.bulkhead import AllSlotsBusy, Bulkhead

logger = logging.getLogger("keel.dependencies")

DEPENDENCY_ERRORS = Counter(
    "keel_dependency_errors",
    "Calls to a backing service that failed or were refused by its open circuit breaker.",
    ["dependency"],
)

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
BUCKET_ERRORS = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
# A service that hangs costs a whole timeout per call: one is enough to stop calling it.
REDIS_HANGS = (redis.exceptions.TimeoutError,)
BUCKET_HANGS = (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError)
# The bucket answering, but refusing: its own trouble (5xx, SlowDown) or our credentials.
_REFUSING_STATUSES = frozenset({401, 403, 429})

Result = TypeVar("Result")


def as_dependency_error(error: BaseException) -> DependencyUnavailable | None:
    """The 503 an exception stands for, or None if it is not a dependency failing."""
    if isinstance(error, DependencyUnavailable):
        return error
    if isinstance(error, db.OperationalError | db.InterfaceError):
        return DatabaseUnavailable()
    if isinstance(error, REDIS_ERRORS):
        return CacheUnavailable()
    if isinstance(error, BUCKET_ERRORS) or _is_bucket_refusal(error):
        return StorageUnavailable()
    return None


def _is_bucket_refusal(error: BaseException) -> bool:
    if not isinstance(error, botocore.exceptions.ClientError):
        return False
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status >= 500 or status in _REFUSING_STATUSES


def report_unavailable(unavailable: DependencyUnavailable, cause: BaseException) -> None:
    """Log, once per request, that it met a dependency down; count it unless a breaker did."""
    if isinstance(cause, DependencyUnavailable):
        # Raised by a breaker, which counted it; the client's own error is its cause.
        reason = cause.__cause__ or cause
    else:
        DEPENDENCY_ERRORS.labels(unavailable.dependency).inc()
        reason = cause
    logger.warning(
        "%s unavailable: %s",
        unavailable.dependency,
        reason,
        extra={"dependency": unavailable.dependency, "code": unavailable.code},
    )


class CircuitBreaker:
    """Stop calling a failing service for ``cooldown`` seconds after ``threshold`` failures.

    A timeout (one of ``hangs``) opens it at once: a service that hangs costs a whole
    timeout per call, so a process pays it once per cooldown, not ``threshold`` times.

    One per process and service; gunicorn's sync workers are single-threaded, the lock
    keeps it right under threads too. While open, ``call`` raises ``unavailable()`` at
    once; the first call after the cooldown is let through as a probe. Calls also go
    through its ``bulkhead``, shared by the instance's workers (``config.ops.bulkhead``):
    a service that hangs holds at most its slots, never every worker.
    """

    def __init__(
        self,
        name: str,
        *,
        errors: tuple[type[BaseException], ...],
        unavailable: type[DependencyUnavailable],
        threshold: int = 3,
        cooldown: float = 5.0,
        hangs: tuple[type[BaseException], ...] = (),
        bulkhead: Bulkhead | None = None,
    ):
        self.name = name
        self.errors = errors
        self.hangs = hangs
        self.unavailable = unavailable
        self.threshold = threshold
        self.cooldown = cooldown
        self.bulkhead = bulkhead or Bulkhead(name)
        self._failures = 0
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._failures >= self.threshold and time.monotonic() < self._open_until

    def call(self, function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        if self.is_open:
            DEPENDENCY_ERRORS.labels(self.name).inc()
            raise self.unavailable()
        try:
            with self.bulkhead.slot():
                result = function(*args, **kwargs)
        except AllSlotsBusy as busy:
            # The service is slow, not failing: no reason to stop calling it.
            DEPENDENCY_ERRORS.labels(self.name).inc()
            raise self.unavailable() from busy
        except self.errors as error:
            self._record_failure(error)
            raise self.unavailable() from error
        if self._failures:
            self._record_recovery()
        return result

    def reset(self) -> None:
        with self._lock:
            self._failures, self._open_until = 0, 0.0

    def _record_failure(self, error: BaseException) -> None:
        DEPENDENCY_ERRORS.labels(self.name).inc()
        with self._lock:
            self._failures += 1
            if isinstance(error, self.hangs):
                self._failures = max(self._failures, self.threshold)
            opening = self._failures >= self.threshold
            if opening:
                self._open_until = time.monotonic() + self.cooldown
        if opening:
            logger.warning(
                "%s failing (%s); not calling it for %.0f s",
                self.name,
                error,
                self.cooldown,
                extra={"dependency": self.name},
            )

    def _record_recovery(self) -> None:
        with self._lock:
            was_open = self._failures >= self.threshold
            self._failures, self._open_until = 0, 0.0
        if was_open:
            logger.warning("%s answers again", self.name, extra={"dependency": self.name})


cache_breaker = CircuitBreaker(
    "cache", errors=REDIS_ERRORS, unavailable=CacheUnavailable, hangs=REDIS_HANGS
)
storage_breaker = CircuitBreaker(
    "storage", errors=BUCKET_ERRORS, unavailable=StorageUnavailable, hangs=BUCKET_HANGS
)
# Redis calls are bounded to a quarter second each; only the bucket's can hold a worker.
storage_bulkhead = storage_breaker.bulkhead
