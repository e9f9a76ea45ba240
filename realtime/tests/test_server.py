"""runserver and serve_realtime serve the ASGI application with uvicorn, sockets included."""

import json
import threading
import urllib.request

import pytest
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connections
from websockets.sync.client import connect

from realtime.management.commands.runserver import Command as RunserverCommand
from realtime.management.commands.runserver import DevelopmentServer
from realtime.tests.helpers import token_for

# The server's threads read the database through connections of their own.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def development_server(monkeypatch):
    """What runserver starts (its server class and handler), on a free port."""
    # The server's thread closes its database connection after each use, as in
    # production with CONN_MAX_AGE=0, so none is left open when the test database goes.
    monkeypatch.setattr("channels.db.close_old_connections", close_old_connections)
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    server = DevelopmentServer(("127.0.0.1", 0), handler_class=object)
    server.set_app(RunserverCommand().get_handler(use_static_handler=True, insecure_serving=True))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=15)
    assert not thread.is_alive()


def wait_until_started(server: DevelopmentServer) -> None:
    for _ in range(100):
        if server.server is not None and server.server.started:
            return
        threading.Event().wait(0.05)
    raise AssertionError("the server did not start")


def test_runserver_serves_the_events_socket_and_http(development_server, user):
    wait_until_started(development_server)
    base = f"127.0.0.1:{development_server.server_port}"

    with connect(f"ws://{base}/ws/v1/events/", open_timeout=5) as socket:
        socket.send(json.dumps({"type": "authenticate", "token": token_for(user)}))
        answer = json.loads(socket.recv(timeout=5))
    with urllib.request.urlopen(f"http://{base}/health/live", timeout=5) as response:  # noqa: S310
        status = response.status

    assert answer["type"] == "authenticated"
    assert status == 200


def test_a_taken_port_is_an_os_error_before_anything_is_served():
    first = DevelopmentServer(("127.0.0.1", 0), handler_class=object)
    try:
        with pytest.raises(OSError, match="in use"):
            DevelopmentServer(("127.0.0.1", first.server_port), handler_class=object)
    finally:
        first.socket.close()


@pytest.mark.parametrize("bind", ["8001", "localhost:", "localhost:port"])
def test_serve_realtime_refuses_a_bind_that_is_not_host_and_port(bind):
    with pytest.raises(CommandError, match="HOST:PORT"):
        call_command("serve_realtime", "--bind", bind)


def test_serve_realtime_on_a_taken_port_is_a_clear_error():
    taken = DevelopmentServer(("127.0.0.1", 0), handler_class=object)
    try:
        with pytest.raises(CommandError, match="cannot listen"):
            call_command("serve_realtime", "--bind", f"127.0.0.1:{taken.server_port}")
    finally:
        taken.socket.close()
