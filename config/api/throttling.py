"""Throttles counting in fixed windows with one atomic cache increment per request.

DRF's own throttles keep every request time of the window in one cache value and
rewrite it on each request: at 1200/min that is a 1200-entry list (de)serialised per
request, and two processes can overwrite each other's writes. A counter per window is
O(1) and atomic on Redis. The price is that a client can spend two windows' worth in
the seconds around a window boundary, which is fine for abuse protection.
"""

import logging
import time
from typing import Any

from django.core.cache import cache as default_cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from prometheus_client import Counter
from rest_framework import throttling

from config.api.exceptions import CacheUnavailable

logger = logging.getLogger("keel.throttling")

THROTTLE_FALLBACKS = Counter(
    "keel_throttle_fallbacks",
    "Throttle decisions taken without the shared cache (Redis down): allowed, or counted "
    "in this process only.",
    ["scope", "fallback"],
)

# Counters of this process only, for the abuse-sensitive scopes while Redis is down.
_local_counters = LocMemCache("keel-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


class FixedWindowThrottle(throttling.SimpleRateThrottle):
    """Base class: subclasses define ``get_cache_key`` (and ``scope``) as in DRF.

    ``when_cache_is_down`` decides what happens while the shared cache (Redis) is down:
    ``"allow"`` serves the request unthrottled (ordinary rate limits: a Redis outage must
    not take the API down), ``"count_locally"`` keeps counting in this process (abuse
    protection of the account endpoints keeps working, each process allowing the rate).
    """

    cache = default_cache
    when_cache_is_down = "allow"
    # DRF sets these from the rate (``parse_rate``): None when the scope has none.
    num_requests: int | None
    duration: int | None

    # Duck-typed, not DRF's Request and APIView: the admin's login form passes a Django
    # request and a stand-in view (accounts/admin.py).
    def allow_request(self, request: Any, view: Any) -> bool:
        if self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        self.now = now
        counter = f"{key}:{window}"
        precounted = getattr(request, "precounted_throttles", {}).pop(counter, None)
        count = self._count(counter, self.duration + 1) if precounted is None else precounted
        return count <= self.num_requests

    def counter_for(self, ident: Any) -> tuple[str, int] | None:
        """The counter (key, timeout) a request by ``ident`` counts in now, if any.

        For counting it ahead, in the round trip that authenticates the request: the
        count goes in ``request.precounted_throttles``, which ``allow_request`` reads
        instead of calling the cache again.
        """
        if self.num_requests is None or self.duration is None:
            return None
        window = int(time.time() // self.duration)
        key = self.cache_format % {"scope": self.scope, "ident": ident}
        return f"{key}:{window}", self.duration + 1

    def _count(self, key: str, timeout: int) -> int:
        try:
            return self._count_in(self.cache, key, timeout)
        except CacheUnavailable:
            THROTTLE_FALLBACKS.labels(self.scope or "", self.when_cache_is_down).inc()
            if self.when_cache_is_down == "count_locally":
                return self._count_in(_local_counters, key, timeout)
            return 0

    def _count_in(self, cache: BaseCache, key: str, timeout: int) -> int:
        try:
            return cache.incr(key)
        except ValueError:
            # First request of the window. add() is atomic: if another process won the
            # race, count this request on top of its counter instead.
            if cache.add(key, 1, timeout=timeout):
                return 1
            return cache.incr(key)

    def wait(self) -> float:
        return max(self.window_ends_at - self.now, 1.0)


class AnonRateThrottle(FixedWindowThrottle, throttling.AnonRateThrottle):
    """Anonymous clients, by IP (``THROTTLE_RATE_ANON``)."""


class UserRateThrottle(FixedWindowThrottle, throttling.UserRateThrottle):
    """Authenticated users, by user id (``THROTTLE_RATE_USER``); machine clients apart.

    A bearer request's count is usually taken ahead, with its user's auth version
    (``accounts.auth_cache``).
    """

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if _machine_client(request) is not None:
            return None
        return super().get_cache_key(request, view)


class MachineClientThrottle(FixedWindowThrottle):
    """Requests made with a machine credential (an API key), per credential
    (``THROTTLE_RATE_API_KEY``): a script's traffic does not eat its owner's allowance."""

    scope = "api_key"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        ident = _machine_client(request)
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}


def _machine_client(request: Any) -> str | None:
    # The credential says so itself (accounts.models.ApiKey.throttle_ident); config names
    # no app.
    return getattr(getattr(request, "auth", None), "throttle_ident", None)
