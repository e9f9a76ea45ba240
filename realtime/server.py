"""uvicorn as Keel serves the ASGI application: the realtime process and runserver alike.

- ``websockets-sansio``: its send waits while a client's socket is full, which is what
  lets the consumer notice a slow client (``realtime.consumers``);
- frames from clients are small (``MAX_CLIENT_FRAME_BYTES``; larger ones close 1009);
- protocol-level pings drop peers that vanished without closing;
- no compression: events are small, and deflate costs memory and CPU per socket;
- Keel's logging (``LOGGING``) and its own access log, not uvicorn's; client addresses
  from ``X-Forwarded-For`` only from ``FORWARDED_ALLOW_IPS``, as with gunicorn;
- on SIGTERM every socket is closed with 1012 (service restart): clients reconnect.
"""

import socket
from typing import Any

import uvicorn

from realtime.protocol import MAX_CLIENT_FRAME_BYTES

# Sockets and requests still open this long after SIGTERM are cut.
GRACEFUL_SHUTDOWN_SECONDS = 10


def server_config(application: Any, *, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        application,
        host=host,
        port=port,
        ws="websockets-sansio",
        ws_max_size=MAX_CLIENT_FRAME_BYTES,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        ws_per_message_deflate=False,
        lifespan="off",
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def listening_socket(host: str, port: int, *, ipv6: bool = False) -> socket.socket:
    """Bound before the server starts, so a taken port is an ``OSError`` right away."""
    family = socket.AF_INET6 if ipv6 else socket.AF_INET
    return socket.create_server((host, port), family=family)


class Listener:
    """One ASGI server on one bound socket, with the ``run()`` and ``shutdown()`` it needs."""

    def __init__(self, listener: socket.socket) -> None:
        self.socket = listener
        self.server: uvicorn.Server | None = None

    @property
    def port(self) -> int:
        return self.socket.getsockname()[1]

    def run(self, application: Any) -> None:
        host, port = self.socket.getsockname()[:2]
        self.server = uvicorn.Server(server_config(application, host=host, port=port))
        self.server.run(sockets=[self.socket])

    def shutdown(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
