"""Guards for what config/ops/cache.py relies on in Django's Redis cache backend."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import redis as django_redis

from config.ops.cache import RedisCache


def test_django_redis_client_still_has_the_hooks_the_reusing_client_overrides():
    # If an upgrade renames these, the reusing client silently stops reusing (or breaks).
    for name in ("get_client", "_get_connection_pool_index", "_get_connection_pool"):
        assert callable(getattr(django_redis.RedisCacheClient, name, None)), name
    client = django_redis.RedisCacheClient(["redis://127.0.0.1:6379/0"])
    assert client._client is django_redis.RedisCacheClient(["redis://127.0.0.1:6379/0"])._client


def test_reusing_client_hands_out_one_redis_client_per_pool():
    cache = RedisCache("redis://127.0.0.1:6379/0", {})
    client = cache._cache  # Django's own attribute holding the cache client

    assert client.get_client(write=True) is client.get_client(write=True)
    assert client.get_client(write=False) is client.get_client(write=False)


@pytest.fixture
def redis_cache(settings):
    """The suite's cache when it runs on Redis (CI's second pass), else skipped."""
    if not isinstance(caches["default"], RedisCache):
        pytest.skip("the cache is not Redis (set REDIS_URL)")
    return caches["default"]


def test_clearing_the_cache_deletes_its_own_keys_and_leaves_the_rest(redis_cache):
    server = redis_cache._cache.get_client(write=True)
    server.set("keel:1:a-development-servers-key", "kept")
    server.set("another-apps-key", "kept")
    for number in range(1500):  # more than one batch
        redis_cache.set(f"mine-{number}", number)
    try:
        redis_cache.clear()

        assert redis_cache.get("mine-0") is None
        assert not list(server.scan_iter(match=f"{redis_cache.key_prefix}:*"))
        assert server.get("keel:1:a-development-servers-key") == b"kept"
        assert server.get("another-apps-key") == b"kept"
    finally:
        server.delete("keel:1:a-development-servers-key", "another-apps-key")


def test_the_suites_cache_keys_have_a_prefix_of_their_own():
    assert settings.CACHES["default"]["KEY_PREFIX"] == "keel-test"
