from django.conf import settings
from django.core.cache import cache

from storage.services import storage_round_trip

_CACHE_KEY = "health:storage:ok"


def check_storage() -> None:
    """The storage round trip, at most once every STORAGE_HEALTH_CACHE_SECONDS.

    Probes hit /health/ready every few seconds on every instance; a bucket round trip
    each time would cost requests (and money) for no new information.
    """
    if cache.get(_CACHE_KEY):
        return
    storage_round_trip()
    cache.set(_CACHE_KEY, True, timeout=settings.STORAGE_HEALTH_CACHE_SECONDS)
