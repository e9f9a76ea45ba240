"""Throttles counting in fixed windows with one atomic cache increment per request.

DRF's own throttles keep every request time of the window in one cache value and
rewrite it on each request: at 1200/min that is a 1200-entry list (de)serialised per
request, and two processes can overwrite each other's writes. A counter per window is
O(1) and atomic on Redis. The price is that a client can spend two windows' worth in
the seconds around a window boundary, which is fine for abuse protection.
"""

import time

from django.core.cache import cache as default_cache
from rest_framework import throttling


class FixedWindowThrottle(throttling.SimpleRateThrottle):
    """Base class: subclasses define ``get_cache_key`` (and ``scope``) as in DRF."""

    cache = default_cache

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        self.now = now
        return self._count(f"{key}:{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        try:
            return self.cache.incr(key)
        except ValueError:
            # First request of the window. add() is atomic: if another process won the
            # race, count this request on top of its counter instead.
            if self.cache.add(key, 1, timeout=self.duration + 1):
                return 1
            return self.cache.incr(key)

    def wait(self) -> float:
        return max(self.window_ends_at - self.now, 1.0)


class AnonRateThrottle(FixedWindowThrottle, throttling.AnonRateThrottle):
    """Anonymous clients, by IP (``THROTTLE_RATE_ANON``)."""


class UserRateThrottle(FixedWindowThrottle, throttling.UserRateThrottle):
    """Authenticated users, by user id (``THROTTLE_RATE_USER``)."""
