"""Django's Redis cache backend, made fast and made to survive Redis going away.

- One Redis client per connection pool: Django builds a new ``redis.Redis`` for every
  cache call, and building one (it fills a table of some 170 response callbacks) cost
  0.18 ms, more than the round trip it serves (measured). ``redis.Redis`` is
  thread-safe and its pool hands out the connections, so one client per pool is enough.
- Every call goes through ``cache_breaker``: a Redis error becomes ``CacheUnavailable``,
  and after a few failures in a row Redis is not called for a few seconds.
- Reads fail open: a lookup while Redis is down is a miss (logged by the breaker,
  counted in ``keel_dependency_errors_total{dependency="cache"}``), so pages that only
  cache never fail because of it. Writes raise ``CacheUnavailable`` for the caller to
  decide (the throttles fall back, see ``config.api.throttling``).

``config/tests/test_cache_internals.py`` guards the Django internals this overrides.
"""

import collections
import functools
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from django.core.cache import cache, caches
from django.core.cache.backends import redis
from django.db import transaction
from hiredis import pack_command
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.api.exceptions import CacheUnavailable
from config.ops.dependencies import Result, cache_breaker

if TYPE_CHECKING:
    from redis import Connection, ConnectionPool, Redis

logger = logging.getLogger("keel.cache")

_CLIENT_OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class _ReusingClient(redis.RedisCacheClient):
    # Django's internals that get_client uses, which django-stubs does not declare.
    _client: "type[Redis]"
    _get_connection_pool_index: Callable[[bool], int]
    _get_connection_pool: "Callable[[bool], ConnectionPool]"
    _serializer: redis.RedisSerializer
    # Set below, through the breaker.
    delete_matching: Callable[[str], int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}
        self._lean: dict[int, LeanConnections] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> "Redis":
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client

    def lean_connections(self) -> "LeanConnections":
        """The connections of the write pool's server for ``_round_trip``."""
        index = self._get_connection_pool_index(True)
        lean = self._lean.get(index)
        if lean is None:
            lean = self._lean[index] = LeanConnections(self._get_connection_pool(True))
        return lean


class LeanConnections:
    """Connections to one pool's server for the round trips of ``_round_trip``, each used
    by one caller at a time (thread-safe: ``list.pop`` and ``append`` are atomic).

    redis-py 8's own hand-out does more than such a round trip needs: a check of
    deprecated arguments that inspects every call's, four connection-count metrics and an
    event per use, two locks (5.7 us of CPU a round trip), and its packing of the commands
    took 6.7 us, against 1.8 us for hiredis packing them all (measured; a whole round trip
    went from 44 to 31 us). Like the pool, this never hands out a connection that Redis
    closed (a restart) or that has replies left unread: it reads as readable, and is
    replaced before it is used.
    """

    def __init__(self, pool: "ConnectionPool") -> None:
        self._pool = pool
        self._idle: list[Connection] = []
        self._pid = os.getpid()

    def take(self) -> "Connection":
        """A connection ready to send on; raises Redis's errors when it cannot connect."""
        if self._pid != os.getpid():
            # A forked worker must not write on its parent's sockets.
            self._idle, self._pid = [], os.getpid()
        try:
            connection = self._idle.pop()
        except IndexError:
            return self._connected()
        try:
            # Readable before anything was sent: closed by Redis (or raises so).
            closed = connection.can_read()
        except (RedisConnectionError, RedisTimeoutError, OSError):
            closed = True
        if closed:
            connection.disconnect()
            return self._connected()
        return connection

    def _connected(self) -> "Connection":
        pool = self._pool
        connection = pool.connection_class(**pool.connection_kwargs)
        connection.connect()
        return connection

    def give_back(self, connection: "Connection") -> None:
        """Keep ``connection``, which has every reply read, for the next round trip."""
        if self._pid == os.getpid():
            self._idle.append(connection)

    @property
    def idle(self) -> list["Connection"]:
        """The connections waiting for their next round trip (tests)."""
        return list(self._idle)


def _delete_matching(self: _ReusingClient, pattern: str) -> int:
    """Delete the keys matching ``pattern``, a thousand at a time."""
    client, deleted = self.get_client(write=True), 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) == 1000:
            deleted += client.unlink(*batch)
            batch = []
    if batch:
        deleted += client.unlink(*batch)
    return deleted


def _through_breaker(operation: Callable[..., Result]) -> Callable[..., Result]:
    @functools.wraps(operation)
    def guarded(self: _ReusingClient, *args: Any, **kwargs: Any) -> Result:
        return cache_breaker.call(operation, self, *args, **kwargs)

    return guarded


for _name in _CLIENT_OPERATIONS:
    setattr(_ReusingClient, _name, _through_breaker(getattr(redis.RedisCacheClient, _name)))
_ReusingClient.delete_matching = _through_breaker(_delete_matching)


class RedisCache(redis.RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient

    def validate_key(self, key: str) -> None:
        """Nothing to check: Redis takes any key. Django's check warns of keys memcached
        would refuse, one character at a time: 8 us of CPU for the five keys a request's
        round trip names, against 1 us to make them (measured)."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except CacheUnavailable:
            return default

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except CacheUnavailable:
            return {}

    def clear(self) -> None:
        """Delete this cache's keys (those under ``KEY_PREFIX``), not the whole database.

        Django's flushes the Redis database: a test run, a benchmark or another app
        pointed at the Redis a server uses would wipe that server's keys too.
        """
        client = cast(_ReusingClient, self._cache)  # built from self._class
        client.delete_matching(f"{self.key_prefix}:*" if self.key_prefix else "*")

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except CacheUnavailable:
            return False


def read_and_count(
    keys: list[str], counter: tuple[str, int] | None = None
) -> tuple[list[Any], int | None]:
    """The default cache's values of ``keys`` and, if asked, ``counter`` (key, timeout)
    counted up by one: in one round trip to Redis (one write, pipelined), whatever the number.
    The writes waiting in ``set_later`` travel in it too, ahead of the reads.

    What a request needs from Redis before it can start (its user's auth version, its
    throttle counter) costs one round trip instead of one each. A missing key reads as
    None; the counter starts at 1 in a window of ``timeout`` seconds. Raises
    ``CacheUnavailable`` while Redis is down. Other backends (local memory in
    development and tests) answer the same from their own calls.
    """
    cache = caches["default"]  # the backend itself, not the proxy django.core.cache.cache
    writes = _deferred_take()
    if not isinstance(cache, RedisCache):
        for key, value, timeout in writes:
            cache.set(key, value, timeout)
        return [cache.get(key) for key in keys], _count_locally(cache, counter)
    client = cast(_ReusingClient, cache._cache)
    commands: list[tuple[Any, ...]] = [
        ("SET", cache.make_and_validate_key(key), client._serializer.dumps(value), "EX", timeout)
        for key, value, timeout in writes
    ]
    if keys:
        # One command for every key: each command sent is a reply to parse (four GETs and
        # the counter cost 139 us, one MGET and the counter 112, measured).
        commands.append(("MGET", *[cache.make_and_validate_key(key) for key in keys]))
    if counter is not None:
        counter_key = cache.make_and_validate_key(counter[0])
        # Created empty with its window's expiry only if missing, then counted: atomic
        # on Redis's side, so two processes starting one window never lose a count.
        commands += [("SET", counter_key, 0, "EX", counter[1], "NX"), ("INCRBY", counter_key, 1)]
    replies = cache_breaker.call(_round_trip, client.lean_connections(), commands)
    results = replies[len(writes) :]
    raw_values = results[0] if keys else []
    values = [None if raw is None else client._serializer.loads(raw) for raw in raw_values]
    return values, (results[-1] if counter is not None else None)


def _round_trip(connections: LeanConnections, commands: list[tuple[Any, ...]]) -> list[Any]:
    """The replies to ``commands``, sent in one write on one connection.

    What redis-py's ``Pipeline`` does, without its bookkeeping of each command and reply:
    that cost more CPU than the round trip itself (120 us of user time against 40 for
    this, measured with four keys and the counter). Not retried: a connection Redis
    closed (a restart) is replaced before it is used (``LeanConnections.take``), and
    sending again after a failure could count the throttle twice.
    """
    connection = connections.take()
    try:
        connection.send_packed_command(
            [b"".join([pack_command(command) for command in commands])], check_health=False
        )
        replies = [connection.read_response() for _ in commands]
    except BaseException:
        # Replies may be left unread (an error reply raises at once): never reuse it.
        connection.disconnect()
        raise
    connections.give_back(connection)
    return replies


def delete_now(keys: list[str]) -> None:
    """Delete ``keys`` from the default cache in one round trip, sent again once if its
    connection breaks in use: a deletion, unlike a count, does the same twice.

    On Redis through ``_round_trip``: redis-py's command path (its retry wrapper, the
    reply callbacks) took 15% of a create's time, against 5% for the four commands that
    authenticate it (py-spy, in-process), and it sent nothing again when the connection
    broke, leaving the version in place.
    """
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.delete_many(keys)
        return
    client = cast(_ReusingClient, cache._cache)
    command = ("DEL", *[cache.make_and_validate_key(key) for key in keys])
    cache_breaker.call(_sent_again_if_broken, client.lean_connections(), [command])


def _sent_again_if_broken(
    connections: LeanConnections, commands: list[tuple[Any, ...]]
) -> list[Any]:
    try:
        return _round_trip(connections, commands)
    except RedisConnectionError:
        return _round_trip(connections, commands)


# --- Writes that can wait for the next round trip ----------------------------------------
#
# A response computed on a cache miss is kept for its next reader, who is seldom the same
# client a millisecond later. Sent at once, keeping it would cost a round trip of its own
# (a fifth of a cold retrieve's time in Redis, measured); instead it waits here and goes
# in this process's next ``read_and_count`` round trip, which the next authenticated request
# sends anyway. Only values whose reader checks that they still hold (a response entry
# names the generation it was made under) may wait: arriving late, one is still checked;
# never arriving (the process exits, Redis is down, the queue overflows) makes a miss.

_DEFERRED_MAX = 64
_deferred: collections.deque[tuple[str, Any, int]] = collections.deque(maxlen=_DEFERRED_MAX)


def set_later(key: str, value: Any, timeout: int) -> None:
    """Set ``key`` for ``timeout`` seconds (more than 0) in the default cache, with this
    process's next ``read_and_count``."""
    _deferred.append((key, value, timeout))


def deferred_discard() -> None:
    """Drop the writes still waiting (tests: nothing crosses from one into the next)."""
    _deferred.clear()


def _deferred_take() -> list[tuple[str, Any, int]]:
    taken = []
    # popleft is atomic: two threads never take the same write.
    while True:
        try:
            taken.append(_deferred.popleft())
        except IndexError:
            return taken


def _count_locally(cache: Any, counter: tuple[str, int] | None) -> int | None:
    if counter is None:
        return None
    key, timeout = counter
    if cache.add(key, 1, timeout=timeout):
        return 1
    return cache.incr(key)


# --- Versions: cache keys whose value names the current state of something -------------
#
# A version is a random number under a key. Whatever is kept under it (a user, a list
# page) holds while the number stays; a change deletes the key, at once and again after
# its transaction commits. A reader that finds no number sets a fresh one *before* it
# reads the database, so nothing read before a change is ever kept under a number made
# after it, and the deletion after commit catches a reader that ran in between.


def versions_forget(keys: list[str]) -> None:
    """Delete these versions now and, inside a transaction, again once it commits."""
    _delete_versions(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _delete_versions(keys))


def versions_fill(keys: list[str], values: list[Any]) -> list[Any]:
    """``values`` (read for ``keys``), with each missing one set to a fresh number.

    Raises ``CacheUnavailable`` when Redis is down, or when a key was deleted again while
    this ran (a change is under way: nothing should be kept now).
    """
    filled = list(values)
    for index, (key, value) in enumerate(zip(keys, values, strict=True)):
        if value is None:
            number = secrets.randbits(62)
            filled[index] = number if cache.add(key, number, timeout=None) else cache.get(key)
    if None in filled:
        raise CacheUnavailable()
    return filled


def _delete_versions(keys: list[str]) -> None:
    try:
        delete_now(keys)
    except CacheUnavailable:
        logger.warning(
            "could not forget %d cache versions (Redis down): what other processes keep "
            "under them holds until it expires",
            len(keys),
            extra={"dependency": "cache"},
        )
