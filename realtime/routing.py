"""The WebSocket routes of the ASGI application (config/asgi.py)."""

from typing import Any

from channels.routing import URLRouter
from django.urls import path, re_path

from realtime.consumers import EventsConsumer


async def no_such_socket(scope: Any, receive: Any, send: Any) -> None:
    """Any other path: the handshake is refused (403), as Channels does for a denial."""
    await receive()
    await send({"type": "websocket.close"})


websocket_application = URLRouter(
    [
        path("ws/v1/events/", EventsConsumer.as_asgi()),
        # Django's stubs type a route's view as returning a response; here it is ASGI.
        re_path(r"", no_such_socket),  # type: ignore[arg-type]
    ]
)
