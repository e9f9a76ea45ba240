"""Per-user connection cap, heartbeat, slow clients, and Redis going away."""

import asyncio
import time
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings as django_settings

from realtime.protocol import CloseCode
from realtime.tests.helpers import (
    RedisProxy,
    SlowClient,
    authenticate,
    authenticated_socket,
    channel_layer_at,
    closed_with,
    closing,
    events_socket,
    free_port,
    run,
    token_for,
    uses_redis,
)

pytestmark = pytest.mark.django_db

ITEMS_URL = "/api/v1/items/"

needs_redis = pytest.mark.skipif(
    not django_settings.REALTIME_REDIS_URL, reason="needs Redis (REDIS_URL) as the channel layer"
)


def test_a_socket_past_the_users_cap_closes_4004_and_a_freed_place_is_taken_again(
    settings, user, other_user
):
    settings.REALTIME_MAX_CONNECTIONS_PER_USER = 2

    async def scenario():
        async with authenticated_socket(user), authenticated_socket(user):
            async with events_socket() as third:
                await third.send_json_to({"type": "authenticate", "token": token_for(user)})
                refused = await closed_with(third)
            async with authenticated_socket(other_user):
                pass
        async with authenticated_socket(user), authenticated_socket(user):
            pass
        return refused

    assert (
        run(scenario) == closing(CloseCode.TOO_MANY_CONNECTIONS) == (4004, "too_many_connections")
    )


@needs_redis
def test_the_cap_counts_the_users_sockets_on_every_instance_but_not_lapsed_ones(settings, user):
    settings.REALTIME_MAX_CONNECTIONS_PER_USER = 2
    client = redis.Redis.from_url(settings.REALTIME_REDIS_URL)
    key = f"{settings.REALTIME_CHANNEL_PREFIX}:connections:{user.pk}"
    # One socket held on another instance, and one whose instance died long ago.
    client.zadd(key, {"elsewhere": time.time() + 60, "dead-instance": time.time() - 1})

    async def scenario():
        async with authenticated_socket(user), events_socket() as third:
            await third.send_json_to({"type": "authenticate", "token": token_for(user)})
            return await closed_with(third)

    try:
        assert run(scenario) == closing(CloseCode.TOO_MANY_CONNECTIONS)
        assert client.zrange(key, 0, -1) == [b"elsewhere"]
    finally:
        client.delete(key)


def test_the_heartbeat_pings_the_client_and_a_client_ping_is_answered(settings, user):
    settings.REALTIME_HEARTBEAT_SECONDS = 0.1

    async def scenario():
        async with authenticated_socket(user) as socket:
            heartbeat = await socket.receive_json_from(timeout=2)
            await socket.send_json_to({"type": "ping"})
            frames = [await socket.receive_json_from(), await socket.receive_json_from()]
            return heartbeat, frames

    heartbeat, frames = run(scenario)

    assert heartbeat == {"type": "ping"}
    assert {"type": "pong"} in frames


@needs_redis
def test_the_heartbeat_renews_the_sockets_place(settings, user):
    settings.REALTIME_HEARTBEAT_SECONDS = 0.2
    client = redis.Redis.from_url(settings.REALTIME_REDIS_URL)
    key = f"{settings.REALTIME_CHANNEL_PREFIX}:connections:{user.pk}"

    async def scenario():
        async with authenticated_socket(user) as socket:
            (_, first), *_ = client.zrange(key, 0, -1, withscores=True)
            await socket.receive_json_from(timeout=2)
            (_, renewed), *_ = client.zrange(key, 0, -1, withscores=True)
            return first, renewed

    first, renewed = run(scenario)

    assert renewed > first
    assert client.zcard(key) == 0  # given back on disconnect


def test_a_client_that_reads_too_slowly_is_disconnected_4005(settings, user, auth_client, rest):
    settings.REALTIME_MAX_PENDING_EVENTS = 2

    async def scenario():
        # The client's socket holds one unread frame; after that the server's send waits.
        async with events_socket(communicator_class=SlowClient, unread=1) as socket:
            await authenticate(socket, token_for(user))
            for number in range(6):
                await rest(auth_client.post, ITEMS_URL, {"title": f"{number}"}, format="json")
            await asyncio.sleep(0.2)  # the events travel (through Redis, if it is the layer)
            first = await socket.receive_json_from()
            return first, await closed_with(socket)

    first, closed = run(scenario)

    assert first["type"] == "item.created"
    assert closed == closing(CloseCode.TOO_SLOW) == (4005, "too_slow")


def test_redis_down_when_a_socket_opens_closes_it_1013(settings, user):
    channel_layer_at(settings, f"redis://127.0.0.1:{free_port()}/0")

    async def scenario():
        socket = events_socket()
        async with socket as opened:
            return await closed_with(opened)

    assert run(scenario) == closing(CloseCode.TRY_AGAIN_LATER) == (1013, "try_again_later")


@needs_redis
def test_redis_going_away_closes_the_open_sockets_1013(settings, user):
    settings.REALTIME_HEARTBEAT_SECONDS = 0.2
    target = urlsplit(settings.REALTIME_REDIS_URL)
    proxy = RedisProxy(target.hostname, target.port or 6379)

    async def scenario():
        channel_layer_at(settings, await proxy.start())
        assert uses_redis()
        async with authenticated_socket(user) as socket:
            await proxy.cut()
            return await closed_with(socket, timeout=3)

    assert run(scenario) == closing(CloseCode.TRY_AGAIN_LATER)
