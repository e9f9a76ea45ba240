"""Sockets, tokens and REST calls for the events tests."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from realtime.protocol import CloseCode
from realtime.routing import websocket_application

EVENTS_PATH = "/ws/v1/events/"


def run(scenario, *args: Any) -> Any:
    """Run the coroutine function ``scenario`` to its end from a synchronous test."""
    return async_to_sync(scenario)(*args)


def token_for(user, lifetime: timedelta | None = None) -> str:
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


class SlowClient(WebsocketCommunicator):
    """A client that reads nothing until asked: ``unread`` frames fill its socket."""

    def __init__(self, *args: Any, unread: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unread = unread
        self._socket: asyncio.Queue | None = None

    @property
    def output_queue(self) -> asyncio.Queue:
        # Made on first use, inside the test's event loop.
        if self._socket is None:
            self._socket = asyncio.Queue(maxsize=self._unread)
        return self._socket


@contextlib.asynccontextmanager
async def events_socket(
    path: str = EVENTS_PATH, communicator_class: type = WebsocketCommunicator, **kwargs: Any
) -> AsyncIterator[WebsocketCommunicator]:
    """An open socket to the events endpoint, disconnected at the end."""
    socket = communicator_class(websocket_application, path, **kwargs)
    connected, _ = await socket.connect()
    assert connected
    try:
        yield socket
    finally:
        await socket.disconnect()


@contextlib.asynccontextmanager
async def authenticated_socket(user, **kwargs: Any) -> AsyncIterator[WebsocketCommunicator]:
    async with events_socket(**kwargs) as socket:
        await authenticate(socket, token_for(user))
        yield socket


async def authenticate(socket: WebsocketCommunicator, token: str) -> dict[str, Any]:
    await socket.send_json_to({"type": "authenticate", "token": token})
    answer = await socket.receive_json_from()
    assert answer["type"] == "authenticated", answer
    return answer


async def closed_with(socket: WebsocketCommunicator, timeout: float = 3) -> tuple[int, str]:
    """The code and reason of the close the server sends next (after any other frames)."""
    while True:
        message = await socket.receive_output(timeout)
        if message["type"] == "websocket.close":
            return message.get("code", 1000), message.get("reason", "")


async def next_event(socket: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    """The next frame that is not a heartbeat."""
    while True:
        frame = json.loads(await socket.receive_from(timeout))
        if frame["type"] != "ping":
            return frame


def closing(code: CloseCode) -> tuple[int, str]:
    return int(code), code.reason


def uses_redis() -> bool:
    from channels.layers import get_channel_layer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    return isinstance(get_channel_layer(), RedisPubSubChannelLayer)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def channel_layer_at(settings, url: str) -> None:
    """Point the channel layer (and so publishing and the places) at ``url``."""
    from config.settings.env import build_channel_layer

    settings.CHANNEL_LAYERS = {
        "default": build_channel_layer(
            url,
            prefix=settings.REALTIME_CHANNEL_PREFIX,
            socket_timeout=settings.REALTIME_REDIS_SOCKET_TIMEOUT,
        )
    }


class RedisProxy:
    """A TCP relay to the suite's Redis that can be cut: Redis going away, for real sockets."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return f"redis://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/0"

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, upstream_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
