"""Publishing events to their owner's sockets, from whichever process made the change.

The resource kit announces every committed write (``resources.events``); this turns the
announcement into the event the client receives and sends it to the owner's group,
``user.<id>``, which every socket of that user, on any realtime instance, has joined.

On the Redis pub/sub channel layer a publish is one ``PUBLISH`` from the request's own
process, on a connection of its own (``Publisher``: a sync worker has no event loop to
run the layer's async client on) that does not wait for the reply. Sending is bounded by
``REALTIME_REDIS_SOCKET_TIMEOUT`` and goes through a circuit breaker: Redis down costs
the write nothing but a warning and a metric, and never fails it. The channel name and
the message encoding are the layer's own (``channels_redis``'s ``__group__`` naming and
its serializer), so the layer's subscribers decode it as if ``group_send`` had sent it;
``realtime/tests/test_publishing.py`` holds them equal.
"""

import functools
import logging
import os
import threading
import uuid
from typing import Any, cast

import redis
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.utils import timezone

from config.ops.dependencies import REDIS_ERRORS, REDIS_HANGS, CircuitBreaker
from realtime import protocol
from realtime.connections import has_local_sockets
from realtime.exceptions import ChannelLayerUnavailable

logger = logging.getLogger("keel.realtime")

# The channel layer message a consumer receives (EventsConsumer.resource_event).
EVENT_MESSAGE = "resource.event"

publish_breaker = CircuitBreaker(
    "channel_layer",
    errors=REDIS_ERRORS,
    unavailable=ChannelLayerUnavailable,
    hangs=REDIS_HANGS,
)


def user_group(user_id: uuid.UUID | str) -> str:
    """The channel layer group of every socket of one user."""
    return f"user.{user_id}"


def resource_event_publish(
    sender: Any, *, event_type: str, owner_id: uuid.UUID, data: Any, **kwargs: Any
) -> None:
    """Receiver of ``resources.events.resource_committed``: one event to the owner."""
    group = user_group(owner_id)
    if could_be_heard(group):
        text = protocol.event(event_type=event_type, data=data, at=timezone.now())
        event_publish(group=group, text=text)


def could_be_heard(group: str) -> bool:
    """False when no socket can hear ``group``: with the in-process layer (no Redis),
    only sockets of this very process (runserver) can, and a gunicorn worker holds none."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return has_local_sockets(group)
    return layer is not None


def event_publish(*, group: str, text: str) -> None:
    """Send ``text`` to every socket of ``group``; never raises for Redis being down."""
    layer = get_channel_layer()
    message = {"type": EVENT_MESSAGE, "text": text}
    if isinstance(layer, RedisPubSubChannelLayer):
        _redis_publish(layer, group, message)
    elif could_be_heard(group):
        async_to_sync(layer.group_send)(group, message)


def _redis_publish(layer: RedisPubSubChannelLayer, group: str, message: dict[str, str]) -> None:
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    # RedisPubSubLoopLayer._get_group_channel_name: what group_add subscribes to.
    channel = f"{config['prefix']}__group__{group}"
    publisher = _publisher(config["hosts"][0]["address"], settings.REALTIME_REDIS_SOCKET_TIMEOUT)
    try:
        publish_breaker.call(publisher.publish, channel, layer.serialize(message))
    except ChannelLayerUnavailable as unavailable:
        # Without a cause the breaker refused the call: it logged when it opened.
        if unavailable.__cause__ is not None:
            logger.warning(
                "event not published: %s",
                unavailable.__cause__,
                extra={"dependency": unavailable.dependency, "code": unavailable.code},
            )


class Publisher:
    """``PUBLISH`` on one connection without waiting for each reply.

    A publish's reply (how many subscribers got it) tells a writer nothing, and waiting
    for it was most of what live updates cost a create: on an idle machine a PUBLISH
    waited for took 0.10 ms, one sent without waiting 0.02 ms, and under load the wait
    includes Redis being scheduled (measured). So each publish is sent and the replies
    are read as they arrive, before the next one is sent; more than ``MAX_UNREAD`` of
    them outstanding are waited for. A new connection answers a ``PING`` first, so a
    Redis that accepts connections but never answers costs one socket timeout, then
    opens the breaker, as a waited-for publish would. A reply that is an error (an ACL
    refusing ``PUBLISH``) is logged when it is read.

    A connection Redis has closed (a restart) reads as closed before the next publish,
    which goes on a new one. Only a publish sent in the instant Redis went away is lost
    unseen, and its subscribers lost their subscriptions with it.
    """

    MAX_UNREAD = 100

    def __init__(self, address: str, socket_timeout: float):
        self._pool = redis.ConnectionPool.from_url(
            address,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            # Its replies are integers and errors: RESP2, without RESP3's HELLO round trip.
            protocol=2,
        )
        self._connection: redis.Connection | None = None
        self._pid = 0
        self._unread = 0
        self._lock = threading.Lock()

    @property
    def unread(self) -> int:
        """Replies sent by Redis that were not read yet."""
        return self._unread

    def publish(self, channel: str, payload: bytes) -> None:
        """Send ``payload`` to ``channel``'s subscribers; raises Redis's connection errors."""
        with self._lock:
            try:
                try:
                    self._send(channel, payload)
                except redis.ConnectionError:
                    # Redis closed the connection (it restarted): one new one is tried.
                    self._drop()
                    self._send(channel, payload)
            except BaseException:
                self._drop()
                raise

    def _send(self, channel: str, payload: bytes) -> None:
        connection = self._connected()
        self._replies_read(connection, keep=self.MAX_UNREAD - 1)
        connection.send_command("PUBLISH", channel, payload)
        self._unread += 1

    def _connected(self) -> redis.Connection:
        # A forked worker must not write on its parent's socket.
        if self._connection is None or self._pid != os.getpid():
            self._connection, self._unread = None, 0
            # from_url over redis:// makes TCP connections.
            connection = cast(redis.Connection, self._pool.make_connection())
            try:
                connection.connect()
                connection.send_command("PING")
                connection.read_response()
            except BaseException:
                connection.disconnect()
                raise
            self._connection, self._pid = connection, os.getpid()
            return connection
        return self._connection

    def _replies_read(self, connection: redis.Connection, *, keep: int) -> None:
        """Read the replies that arrived, then wait for more until ``keep`` are unread."""
        while self._unread > keep or connection.can_read(timeout=0):
            if not self._unread:
                # Readable with no reply due: Redis closed it, and reading says so.
                connection.read_response()
                raise redis.ConnectionError("Redis sent what no command asked for")
            try:
                connection.read_response()
            except redis.ResponseError as refused:
                logger.warning(
                    "event not published: %s",
                    refused,
                    extra={"dependency": publish_breaker.name, "code": "publish_refused"},
                )
            self._unread -= 1

    def _drop(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            self._connection.disconnect()
        self._connection, self._unread = None, 0


@functools.cache
def _publisher(address: str, socket_timeout: float) -> Publisher:
    # One per process and Redis, made in the worker that publishes first.
    return Publisher(address, socket_timeout)
