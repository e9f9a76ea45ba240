"""Guards for what config/ops/cache.py relies on in Django's Redis cache backend."""

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
