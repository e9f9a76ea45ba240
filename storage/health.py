import time

from django.conf import settings

from storage.services import storage_round_trip

_last_success = {"at": float("-inf")}


def check_storage() -> None:
    """The storage round trip, at most once every STORAGE_HEALTH_CACHE_SECONDS.

    Probes hit /health/ready every few seconds on every instance; a bucket round trip
    each time would cost requests (and money) for no new information. The result is
    this process's own, never shared through the cache: an instance with a wrong
    secret must not report the bucket fine because another instance reached it.
    """
    if time.monotonic() - _last_success["at"] < settings.STORAGE_HEALTH_CACHE_SECONDS:
        return
    storage_round_trip()
    _last_success["at"] = time.monotonic()


def forget_last_success() -> None:
    """Check again on the next probe (tests, and after the storage settings change)."""
    _last_success["at"] = float("-inf")
