"""The events socket authenticates with its first message, and only with it."""

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import password_change
from realtime.protocol import CloseCode
from realtime.tests.helpers import (
    authenticate,
    closed_with,
    closing,
    events_socket,
    run,
    token_for,
)

pytestmark = pytest.mark.django_db


def test_authenticate_with_an_access_token_is_answered_authenticated_with_its_expiry(user):
    token = token_for(user)

    async def scenario():
        async with events_socket() as socket:
            await socket.send_json_to({"type": "authenticate", "token": token})
            return await socket.receive_json_from()

    answer = run(scenario)

    assert answer.keys() == {"type", "expires_at"}
    assert answer["type"] == "authenticated"
    expires_at = timezone.datetime.fromisoformat(answer["expires_at"])
    assert timedelta(minutes=14) < expires_at - timezone.now() <= timedelta(minutes=15)


@pytest.mark.parametrize(
    "frame",
    [
        '{"type": "ping"}',
        '{"token": "x"}',
        '["authenticate"]',
        "not json",
        '{"type": "authenticate"}',
        '{"type": "authenticate", "token": ""}',
        '{"type": "authenticate", "token": 42}',
    ],
)
def test_anything_but_an_authenticate_with_a_token_first_closes_4001(user, frame):
    async def scenario():
        async with events_socket() as socket:
            await socket.send_to(text_data=frame)
            return await closed_with(socket)

    assert (
        run(scenario)
        == closing(CloseCode.AUTHENTICATION_REQUIRED)
        == (4001, "authentication_required")
    )


def test_a_binary_frame_first_closes_4001(user):
    async def scenario():
        async with events_socket() as socket:
            await socket.send_to(bytes_data=b'{"type": "authenticate"}')
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.AUTHENTICATION_REQUIRED)


def test_a_token_in_the_query_string_does_not_authenticate(user):
    token = token_for(user)

    async def scenario():
        async with events_socket(f"/ws/v1/events/?token={token}") as socket:
            await socket.send_json_to({"type": "ping"})
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.AUTHENTICATION_REQUIRED)


def test_no_authenticate_within_the_timeout_closes_4001(settings, user):
    settings.REALTIME_AUTH_TIMEOUT_SECONDS = 0.1

    async def scenario():
        async with events_socket() as socket:
            return await closed_with(socket, timeout=2)

    assert run(scenario) == closing(CloseCode.AUTHENTICATION_REQUIRED)


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        # Signed with another key.
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJl",
    ],
)
def test_an_invalid_token_closes_4002(user, token):
    async def scenario():
        async with events_socket() as socket:
            await socket.send_json_to({"type": "authenticate", "token": token})
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.TOKEN_INVALID) == (4002, "token_invalid")


def test_a_refresh_token_is_not_an_access_token_and_closes_4002(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(user))

    async def scenario():
        async with events_socket() as socket:
            await socket.send_json_to({"type": "authenticate", "token": token})
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.TOKEN_INVALID)


def test_a_deactivated_users_token_closes_4002(user):
    token = token_for(user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    async def scenario():
        async with events_socket() as socket:
            await socket.send_json_to({"type": "authenticate", "token": token})
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.TOKEN_INVALID)


def test_a_token_issued_before_a_password_change_closes_4002(user):
    token = token_for(user)
    password_change(
        user=user,
        current_password="correct horse battery staple",
        new_password="another horse battery staple",
    )

    async def scenario():
        async with events_socket() as socket:
            await socket.send_json_to({"type": "authenticate", "token": token})
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.TOKEN_INVALID)


def test_an_expired_token_closes_4003(user):
    token = token_for(user, lifetime=timedelta(minutes=-5))

    async def scenario():
        async with events_socket() as socket:
            await socket.send_json_to({"type": "authenticate", "token": token})
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.TOKEN_EXPIRED) == (4003, "token_expired")


def test_the_socket_closes_4003_when_its_token_expires(user):
    # simplejwt accepts a token up to LEEWAY (5 s) past its expiry; the socket does not.
    token = token_for(user, lifetime=timedelta(seconds=0.5))

    async def scenario():
        async with events_socket() as socket:
            await authenticate(socket, token)
            return await closed_with(socket, timeout=3)

    assert run(scenario) == closing(CloseCode.TOKEN_EXPIRED)


def test_a_fresh_token_before_expiry_keeps_the_socket_open(user):
    # JWT expiry is in whole seconds: this one expires 0.5 to 1.5 s from now.
    expiring = token_for(user, lifetime=timedelta(seconds=1.5))
    fresh = token_for(user)

    async def scenario():
        async with events_socket() as socket:
            await authenticate(socket, expiring)
            renewed = await authenticate(socket, fresh)
            await asyncio.sleep(1.6)
            assert await socket.receive_nothing(timeout=0.1)
            await socket.send_json_to({"type": "ping"})
            return renewed, await socket.receive_json_from()

    renewed, pong = run(scenario)

    assert timezone.datetime.fromisoformat(renewed["expires_at"]) > timezone.now()
    assert pong == {"type": "pong"}


def test_another_users_token_on_an_authenticated_socket_closes_4002(user, other_user):
    async def scenario():
        async with events_socket() as socket:
            await authenticate(socket, token_for(user))
            await socket.send_json_to({"type": "authenticate", "token": token_for(other_user)})
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.TOKEN_INVALID)


def test_a_bad_token_on_an_authenticated_socket_closes_4002(user):
    async def scenario():
        async with events_socket() as socket:
            await authenticate(socket, token_for(user))
            await socket.send_json_to({"type": "authenticate", "token": "garbage"})
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.TOKEN_INVALID)


@pytest.mark.parametrize("frame", ["not json", '{"type": "subscribe"}', '{"no": "type"}'])
def test_a_bad_frame_after_authentication_closes_4000(user, frame):
    async def scenario():
        async with events_socket() as socket:
            await authenticate(socket, token_for(user))
            await socket.send_to(text_data=frame)
            return await closed_with(socket)

    assert run(scenario) == closing(CloseCode.BAD_MESSAGE) == (4000, "bad_message")


def test_another_path_is_refused_at_the_handshake():
    from channels.testing import WebsocketCommunicator

    from realtime.routing import websocket_application

    async def scenario():
        socket = WebsocketCommunicator(websocket_application, "/ws/v1/nothing/")
        return await socket.connect()

    connected, _ = run(scenario)

    assert connected is False
