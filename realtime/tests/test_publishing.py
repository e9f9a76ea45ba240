"""Publishing costs a write one Redis call at most, and Redis down never fails or slows it."""

import contextlib
import socket
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.tests.resp import commands_in
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
def test_an_event_is_one_redis_command_of_the_writing_request(
    settings, auth_client, monkeypatch, django_capture_on_commit_callbacks
):
    publisher = _suite_publisher(settings)
    publisher.publish("keel-test-warm-up", b"")  # a new connection PINGs first
    connection = publisher._connection
    commands = []
    original = connection.send_command

    def counted(*args, **kwargs):
        commands.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(connection, "send_command", counted)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(ITEMS_URL, {"title": "One call"}, format="json")

    assert response.status_code == 201
    assert commands == ["PUBLISH"]


@needs_redis
def test_the_replies_are_read_as_they_arrive(settings):
    publisher = _suite_publisher(settings)

    for number in range(5):
        publisher.publish("keel-test-replies", str(number).encode())
        time.sleep(0.05)  # its reply arriving

    # Each publish read the replies that had come: only the last one's can be left.
    assert publisher.unread <= 1


def test_a_publish_does_not_wait_for_its_reply(settings, monkeypatch):
    monkeypatch.setattr(events.Publisher, "MAX_UNREAD", 3)
    with _FakeRedis(publish_reply=None) as fake:
        channel_layer_at(settings, fake.url)
        timeout = settings.REALTIME_REDIS_SOCKET_TIMEOUT

        durations = []
        for number in range(3):
            started = time.monotonic()
            event_publish(group=user_group("unanswered"), text=f"{number}")
            durations.append(time.monotonic() - started)
        assert not publish_breaker.is_open

        # A fourth would leave more replies outstanding than a publisher may: it waits
        # for one, in vain.
        started = time.monotonic()
        event_publish(group=user_group("unanswered"), text="3")
        waited = time.monotonic() - started
        assert publish_breaker.is_open

    assert max(durations) < timeout / 2
    assert timeout <= waited < timeout + 1
    assert fake.commands.count(b"PUBLISH") == 3


def test_a_refused_publish_is_logged_when_its_reply_is_read(settings, caplog):
    with _FakeRedis(publish_reply=b"-NOPERM no permissions to access a channel\r\n") as fake:
        channel_layer_at(settings, fake.url)

        event_publish(group=user_group("refused"), text="first")
        fake.wait_for(b"PUBLISH", 1)
        event_publish(group=user_group("refused"), text="second")
        fake.wait_for(b"PUBLISH", 2)

    warnings = [record.getMessage() for record in caplog.records if record.name == "keel.realtime"]
    assert warnings == ["event not published: no permissions to access a channel"]
    assert not publish_breaker.is_open


def test_a_publish_after_redis_closed_the_connection_goes_on_a_new_one(settings, caplog):
    with _FakeRedis(publish_reply=b":0\r\n", publishes_per_connection=1) as fake:
        channel_layer_at(settings, fake.url)

        event_publish(group=user_group("restarted"), text="before")
        fake.wait_for_close()
        event_publish(group=user_group("restarted"), text="after")
        fake.wait_for(b"PUBLISH", 2)

    assert fake.connections == 2
    assert not publish_breaker.is_open
    assert not [record for record in caplog.records if record.name == "keel.realtime"]


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


def _suite_publisher(settings) -> events.Publisher:
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    return events._publisher(config["hosts"][0]["address"], settings.REALTIME_REDIS_SOCKET_TIMEOUT)


class _FakeRedis:
    """A server that answers each PUBLISH with ``publish_reply`` (None: never) and every
    other command (PING, the client's CLIENT SETINFO) at once; with ``publishes_per_
    connection``, it closes a connection after that many publishes. ``wait_for`` a
    command returns once the command is answered."""

    def __init__(self, *, publish_reply: bytes | None, publishes_per_connection: int = 0):
        self.publish_reply = publish_reply
        self.publishes_per_connection = publishes_per_connection
        self.commands: list[bytes] = []
        self.connections = 0
        self.closed = 0  # connections the server has closed
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._listener.getsockname()[1]}/0"
        self._seen = threading.Condition()
        self._connection: socket.socket | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "_FakeRedis":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._listener.close()
        if self._connection is not None:
            # The publisher keeps its connection: end the server's side of it (unless
            # the client ended it first).
            with contextlib.suppress(OSError):
                self._connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def wait_for(self, command: bytes, count: int) -> None:
        with self._seen:
            assert self._seen.wait_for(lambda: self.commands.count(command) >= count, timeout=5)

    def wait_for_close(self) -> None:
        with self._seen:
            assert self._seen.wait_for(lambda: self.closed >= 1, timeout=5)

    def _serve(self) -> None:
        # Closing a socket does not wake a thread blocked in its accept(): poll instead.
        self._listener.settimeout(0.05)
        while True:
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the test is over
                return
            self._connection = connection
            self.connections += 1
            # The test ends the connection (or the client does) whenever it is done.
            with connection, contextlib.suppress(OSError):
                self._answer(connection)
            with self._seen:
                self.closed += 1
                self._seen.notify_all()

    def _answer(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        buffered, publishes = b"", 0
        while data := connection.recv(65536):
            commands, buffered = commands_in(buffered + data)
            for command in commands:
                self._reply(connection, command)
                # Seen once answered: a test waiting for it may count on its reply
                # being in the client's socket already.
                with self._seen:
                    self.commands.append(command)
                    self._seen.notify_all()
                if command == b"PUBLISH":
                    publishes += 1
                    if publishes == self.publishes_per_connection:
                        return

    def _reply(self, connection: socket.socket, command: bytes) -> None:
        if command != b"PUBLISH":
            connection.sendall(b"+PONG\r\n" if command == b"PING" else b"+OK\r\n")
        elif self.publish_reply is not None:
            connection.sendall(self.publish_reply)
