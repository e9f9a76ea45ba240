"""Publishing events to their owner's sockets, from whichever process made the change.

The resource kit announces every committed write (``resources.events``); this turns the
announcement into the event the client receives and sends it to the owner's group,
``user.<id>``, which every socket of that user, on any realtime instance, has joined.

On the Redis pub/sub channel layer a publish is one ``PUBLISH`` from the request's own
process, made with the synchronous client (a sync worker has no event loop to run the
layer's async one on), bounded by ``REALTIME_REDIS_SOCKET_TIMEOUT`` and behind a circuit
breaker: Redis down costs the write nothing but a warning and a metric, and never fails
it. The channel name and the message encoding are the layer's own (``channels_redis``'s
``__group__`` naming and its serializer), so the layer's subscribers decode it as if
``group_send`` had sent it; ``realtime/tests/test_publishing.py`` holds them equal.
"""

import functools
import logging
import uuid
from typing import Any

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
    client = _publisher(config["hosts"][0]["address"], settings.REALTIME_REDIS_SOCKET_TIMEOUT)
    try:
        publish_breaker.call(client.publish, channel, layer.serialize(message))
    except ChannelLayerUnavailable as unavailable:
        # Without a cause the breaker refused the call: it logged when it opened.
        if unavailable.__cause__ is not None:
            logger.warning(
                "event not published: %s",
                unavailable.__cause__,
                extra={"dependency": unavailable.dependency, "code": unavailable.code},
            )


@functools.cache
def _publisher(address: str, socket_timeout: float) -> redis.Redis:
    # One client and pool per process (redis-py's pool starts afresh in a forked worker).
    return redis.Redis.from_url(
        address, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
    )
