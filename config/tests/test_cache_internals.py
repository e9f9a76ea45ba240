"""Guards for what config/ops/cache.py relies on in Django's Redis cache backend."""

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.base import CacheKeyWarning
from redis.exceptions import ResponseError

from config.api.exceptions import CacheUnavailable
from config.ops import cache as cache_module
from config.ops.cache import RedisCache, read_and_count, versions_forget
from config.ops.dependencies import cache_breaker
from config.tests.resp import connection_breaks_once, names_written


def test_django_redis_client_still_has_the_hooks_the_reusing_client_overrides():
    # If an upgrade renames these, the reusing client silently stops reusing (or breaks).
    for name in ("get_client", "_get_connection_pool_index", "_get_connection_pool"):
        assert callable(getattr(django_redis.RedisCacheClient, name, None)), name
    client = django_redis.RedisCacheClient(["redis://127.0.0.1:6379/0"])
    assert client._client is django_redis.RedisCacheClient(["redis://127.0.0.1:6379/0"])._client


def test_redis_pools_still_say_how_to_make_their_connections():
    # LeanConnections makes its own from what the pool would make them from.
    pool = RedisCache("redis://127.0.0.1:6379/0", {})._cache._get_connection_pool(True)
    connection = pool.connection_class(**pool.connection_kwargs)

    assert (connection.host, connection.port, connection.db) == ("127.0.0.1", 6379, 0)


def test_reusing_client_hands_out_one_redis_client_per_pool():
    cache = RedisCache("redis://127.0.0.1:6379/0", {})
    client = cache._cache  # Django's own attribute holding the cache client

    assert client.get_client(write=True) is client.get_client(write=True)
    assert client.get_client(write=False) is client.get_client(write=False)


def test_keys_memcached_would_refuse_are_taken_without_a_warning(recwarn):
    # Django's check warns of them character by character, on every call; Redis takes any.
    cache = RedisCache("redis://127.0.0.1:6379/0", {})

    assert cache.make_and_validate_key("a key with spaces " + "x" * 300).endswith("x")
    assert not [w for w in recwarn if issubclass(w.category, CacheKeyWarning)]


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


def test_the_round_trip_reads_every_key_and_counts(redis_cache):
    redis_cache.set("present", {"kept": True})

    values, count = read_and_count(["present", "absent"], ("a-counter", 60))
    _, count_again = read_and_count([], ("a-counter", 60))

    assert values == [{"kept": True}, None]
    assert (count, count_again) == (1, 2)
    server = redis_cache._cache.get_client(write=True)
    assert server.ttl(redis_cache.make_key("a-counter")) == 60


def test_a_refused_command_leaves_no_reply_behind_for_the_next_round_trip(redis_cache):
    """An error reply is raised at once, the replies after it unread: the connection is
    dropped, so the next round trip never reads them as its own."""
    redis_cache.set("a-counter", "not a number")
    redis_cache.set("present", "the value")

    with pytest.raises(ResponseError):
        read_and_count(["present"], ("a-counter", 60))

    redis_cache.delete("a-counter")
    for _ in range(3):
        assert read_and_count(["present"], ("a-counter", 60))[0] == ["the value"]


def test_a_connection_redis_closed_is_replaced_without_a_failed_round_trip(redis_cache):
    """After a Redis restart every pooled connection is closed by the server."""
    redis_cache.set("present", "the value")
    read_and_count(["present"])  # leaves a connection waiting for the next round trip
    server = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    waiting = redis_cache._cache.lean_connections().idle
    assert waiting
    for pooled in waiting:
        host, port = pooled._sock.getsockname()
        assert server.client_kill_filter(addr=f"{host}:{port}") == 1

    assert read_and_count(["present"])[0] == ["the value"]
    assert cache_breaker._failures == 0


def test_a_forked_process_never_sends_on_its_parents_connections(redis_cache, monkeypatch):
    redis_cache.set("present", "the value")
    read_and_count(["present"])  # leaves the parent's connection waiting
    lean = redis_cache._cache.lean_connections()
    [parents] = lean.idle
    monkeypatch.setattr(cache_module.os, "getpid", lambda: -1)  # as in a forked worker

    assert read_and_count(["present"])[0] == ["the value"]
    assert parents not in lean.idle
    assert lean.idle  # the child's own connection, kept for its next round trip


def test_a_connection_that_breaks_in_use_fails_that_round_trip_alone(redis_cache, monkeypatch):
    """Redis closing the connection between the pool's check and the write: that request
    finds Redis unavailable (and falls back, see test_dependencies); the next one is
    served on a new connection."""
    redis_cache.set("present", "the value")
    connection_breaks_once(monkeypatch)

    with pytest.raises(CacheUnavailable):
        read_and_count(["present"])
    assert read_and_count(["present"])[0] == ["the value"]


def test_forgetting_versions_is_one_deletion_of_them_all(redis_cache, round_trips):
    redis_cache.set_many({"version:a": 1, "version:b": 2, "unrelated": 3})
    round_trips.clear()

    versions_forget(["version:a", "version:b"])

    [write] = round_trips
    assert names_written(write) == [b"DEL"]
    assert redis_cache.get_many(["version:a", "version:b", "unrelated"]) == {"unrelated": 3}


def test_a_deletion_whose_connection_breaks_in_use_is_sent_again(redis_cache, monkeypatch):
    """A deletion, unlike the counting round trip, may be sent twice: a version left
    behind would keep stale entries valid until they expire."""
    redis_cache.set("version:a", 1)
    broken = connection_breaks_once(monkeypatch)

    versions_forget(["version:a"])

    assert broken == [[b"DEL"]]
    assert redis_cache.get("version:a") is None
    assert cache_breaker._failures == 0
