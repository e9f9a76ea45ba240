"""The sockets users hold: the per-user cap, across instances, and this process's own.

With Redis as the channel layer the cap holds across every realtime instance: each user
has a sorted set of their sockets, scored by when each one's lease ends. A socket takes
a place when it authenticates, renews its lease every heartbeat and gives it back when
it closes; a place whose instance died without giving it back lapses with its lease
(three heartbeats). Without Redis (the in-process layer of development) the cap counts
this process's sockets.

Every call to Redis here raises the client's own errors (``REDIS_ERRORS``), which the
consumer turns into close code 1013.
"""

import asyncio
import time
import uuid
import weakref
from collections import defaultdict

import redis.asyncio
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

# A lease is renewed every heartbeat; three missed ones and the place lapses.
LEASE_HEARTBEATS = 3

# KEYS[1]: the user's set; ARGV: now, lease end, socket, cap, key lifetime (ms).
_TAKE_PLACE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

_local_sockets: dict[str, set[str]] = defaultdict(set)


def has_local_sockets(group: str) -> bool:
    """Whether this process holds a socket of ``group`` (read from any thread)."""
    return bool(_local_sockets.get(group))


def local_socket_joined(group: str, channel_name: str) -> None:
    _local_sockets[group].add(channel_name)


def local_socket_left(group: str, channel_name: str) -> None:
    sockets = _local_sockets.get(group)
    if sockets is not None:
        sockets.discard(channel_name)
        if not sockets:
            del _local_sockets[group]


class ConnectionPlaces:
    """The places of one user's sockets, at most ``REALTIME_MAX_CONNECTIONS_PER_USER``."""

    async def take(self, user_id: uuid.UUID, socket: str) -> bool:
        """Take a place for ``socket``; False when the user holds every place already."""
        raise NotImplementedError

    async def renew(self, user_id: uuid.UUID, socket: str) -> None:
        raise NotImplementedError

    async def give_back(self, user_id: uuid.UUID, socket: str) -> None:
        raise NotImplementedError


class _LocalPlaces(ConnectionPlaces):
    def __init__(self) -> None:
        self._held: dict[uuid.UUID, set[str]] = defaultdict(set)

    async def take(self, user_id: uuid.UUID, socket: str) -> bool:
        held = self._held[user_id]
        if len(held) >= settings.REALTIME_MAX_CONNECTIONS_PER_USER:
            return False
        held.add(socket)
        return True

    async def renew(self, user_id: uuid.UUID, socket: str) -> None:
        return None

    async def give_back(self, user_id: uuid.UUID, socket: str) -> None:
        held = self._held.get(user_id)
        if held is not None:
            held.discard(socket)
            if not held:
                del self._held[user_id]


class _RedisPlaces(ConnectionPlaces):
    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._take = client.register_script(_TAKE_PLACE)

    def _key(self, user_id: uuid.UUID) -> str:
        return f"{self._prefix}:connections:{user_id}"

    @staticmethod
    def _lease_seconds() -> float:
        return LEASE_HEARTBEATS * settings.REALTIME_HEARTBEAT_SECONDS

    async def take(self, user_id: uuid.UUID, socket: str) -> bool:
        now, lease = time.time(), self._lease_seconds()
        cap = settings.REALTIME_MAX_CONNECTIONS_PER_USER
        arguments = [now, now + lease, socket, cap, int(lease * 1000) + 1]
        return bool(await self._take(keys=[self._key(user_id)], args=arguments))

    async def renew(self, user_id: uuid.UUID, socket: str) -> None:
        lease = self._lease_seconds()
        async with self._client.pipeline(transaction=False) as pipeline:
            pipeline.zadd(self._key(user_id), {socket: time.time() + lease}, xx=True)
            pipeline.pexpire(self._key(user_id), int(lease * 1000) + 1)
            await pipeline.execute()

    async def give_back(self, user_id: uuid.UUID, socket: str) -> None:
        await self._client.zrem(self._key(user_id), socket)


_local_places = _LocalPlaces()
# Clients per event loop (an asyncio client belongs to the loop that made it), per URL.
_redis_places: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _RedisPlaces]]" = (
    weakref.WeakKeyDictionary()
)


def connection_places() -> ConnectionPlaces:
    """Redis-backed places with the Redis channel layer, this process's otherwise."""
    if not isinstance(get_channel_layer(), RedisPubSubChannelLayer):
        return _local_places
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    address = config["hosts"][0]["address"]
    of_loop = _redis_places.setdefault(asyncio.get_running_loop(), {})
    places = of_loop.get(address)
    if places is None:
        timeout = settings.REALTIME_REDIS_SOCKET_TIMEOUT
        client = redis.asyncio.Redis.from_url(
            address, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        places = of_loop[address] = _RedisPlaces(client, config["prefix"])
    return places
