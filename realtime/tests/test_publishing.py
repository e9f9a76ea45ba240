"""Publishing costs a write one Redis call at most, and Redis down never fails or slows it."""

import socket
import time

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realtime import events
from realtime.events import EVENT_MESSAGE, event_publish, publish_breaker, user_group
from realtime.tests.helpers import authenticated_socket, channel_layer_at, free_port, run

pytestmark = pytest.mark.django_db

ITEMS_URL = "/api/v1/items/"

needs_redis = pytest.mark.skipif(
    not django_settings.REALTIME_REDIS_URL, reason="needs Redis (REDIS_URL) as the channel layer"
)


def test_writes_succeed_quickly_while_redis_refuses_connections(
    settings, auth_client, django_capture_on_commit_callbacks
):
    channel_layer_at(settings, f"redis://127.0.0.1:{free_port()}/0")

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            auth_client.post(ITEMS_URL, {"title": f"{n}"}, format="json").status_code
            for n in range(5)
        ]

    assert statuses == [201] * 5
    assert time.monotonic() - started < 2
    assert publish_breaker.is_open


def test_a_hung_redis_costs_one_write_the_socket_timeout_then_none(
    settings, auth_client, django_capture_on_commit_callbacks
):
    # Accepts connections and never answers.
    listener = socket.create_server(("127.0.0.1", 0))
    channel_layer_at(settings, f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    timeout = settings.REALTIME_REDIS_SOCKET_TIMEOUT
    try:
        durations = []
        for number in range(4):
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                response = auth_client.post(ITEMS_URL, {"title": f"{number}"}, format="json")
            assert response.status_code == 201
            durations.append(time.monotonic() - started)
    finally:
        listener.close()

    assert timeout <= durations[0] < timeout + 1
    assert max(durations[1:]) < timeout
    assert publish_breaker.is_open


def test_redis_down_is_logged_as_a_warning_without_the_token_or_data(
    settings, auth_client, django_capture_on_commit_callbacks, caplog
):
    channel_layer_at(settings, f"redis://127.0.0.1:{free_port()}/0")

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(ITEMS_URL, {"title": "Secret title"}, format="json")

    warnings = [record for record in caplog.records if record.name == "keel.realtime"]
    assert [record.levelname for record in warnings] == ["WARNING"]
    assert "event not published" in warnings[0].getMessage()
    assert "Secret title" not in caplog.text


@needs_redis
def test_an_event_is_one_redis_call_of_the_writing_request(
    settings, auth_client, user, monkeypatch, django_capture_on_commit_callbacks
):
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    client = events._publisher(
        config["hosts"][0]["address"], settings.REALTIME_REDIS_SOCKET_TIMEOUT
    )
    commands = []
    original = client.execute_command

    def counted(*args, **kwargs):
        commands.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "execute_command", counted)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(ITEMS_URL, {"title": "One call"}, format="json")

    assert response.status_code == 201
    assert commands == ["PUBLISH"]


def test_a_socket_listening_adds_no_query_to_a_write(client_for, user, rest):
    client = client_for(user)

    def queries_of_a_create(title):
        with CaptureQueriesContext(connection) as queries:
            assert client.post(ITEMS_URL, {"title": title}, format="json").status_code == 201
        return len(queries)

    async def scenario():
        await sync_to_async(queries_of_a_create)("Warm")  # the user is kept from now on
        unheard = await sync_to_async(queries_of_a_create)("Unheard")
        async with authenticated_socket(user):
            heard = await rest(queries_of_a_create, "Heard")
        return unheard, heard

    unheard, heard = run(scenario)

    assert heard == unheard


@needs_redis
def test_a_publish_is_what_the_channel_layers_group_send_would_send():
    """Guards the channels_redis internals events._redis_publish relies on."""
    group = user_group("00000000-0000-4000-8000-00000000abcd")

    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        try:
            await sync_to_async(event_publish)(group=group, text='{"type": "item.created"}')
            return await layer.receive(channel)
        finally:
            await layer.group_discard(group, channel)

    assert run(scenario) == {"type": EVENT_MESSAGE, "text": '{"type": "item.created"}'}
