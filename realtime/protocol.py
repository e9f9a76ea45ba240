"""The events protocol of ``/ws/v1/events/``: what each side sends, and the close codes.

``docs/realtime.md`` is its specification (a test holds the close codes there equal to
these). Every frame is a JSON object with a ``type``:

- client: ``{"type": "authenticate", "token": "<access token>"}`` (first, and again with
  a fresh token before the current one expires), ``{"type": "ping"}``;
- server: ``{"type": "authenticated", "expires_at": ...}``, ``{"type": "ping"}`` every
  heartbeat, ``{"type": "pong"}`` answering a ping, and the events
  ``{"type": "item.created", "id", "at", "data"}``.
"""

import enum
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rest_framework.utils.encoders import JSONEncoder

from resources.serializers import iso_timestamp

# A token is well under 1 KiB; a frame larger than this is closed by the server (1009).
MAX_CLIENT_FRAME_BYTES = 16 * 1024


class CloseCode(enum.IntEnum):
    """Why the server closed the socket; the close frame's reason is the name in lower case."""

    # The channel layer (Redis) is unavailable: reconnect later, with backoff.
    TRY_AGAIN_LATER = 1013
    # A frame that is not a JSON object of a known ``type`` (after authentication).
    BAD_MESSAGE = 4000
    # No valid ``authenticate`` first: another frame, a missing token, or none in time.
    AUTHENTICATION_REQUIRED = 4001
    # The token is not a valid access token of an active user (or is another user's).
    TOKEN_INVALID = 4002
    # The token has expired, and no fresh one came before it did.
    TOKEN_EXPIRED = 4003
    # The user already holds REALTIME_MAX_CONNECTIONS_PER_USER sockets.
    TOO_MANY_CONNECTIONS = 4004
    # The client read too slowly: REALTIME_MAX_PENDING_EVENTS were waiting for it.
    TOO_SLOW = 4005

    @property
    def reason(self) -> str:
        return self.name.lower()


class BadMessage(Exception):
    """A client frame that is not a JSON object with a known ``type``."""


@dataclass(frozen=True)
class ClientMessage:
    type: str
    token: str = ""


CLIENT_TYPES = frozenset({"authenticate", "ping"})


def client_message(text: str | None) -> ClientMessage:
    """The client's frame, read; raises ``BadMessage`` for anything the protocol lacks."""
    if text is None:
        raise BadMessage("binary frames are not part of the protocol")
    try:
        frame = json.loads(text)
    except ValueError as error:
        raise BadMessage("not JSON") from error
    if not isinstance(frame, dict) or frame.get("type") not in CLIENT_TYPES:
        raise BadMessage("not an object of a known type")
    token = frame.get("token")
    return ClientMessage(type=frame["type"], token=token if isinstance(token, str) else "")


def authenticated(*, expires_at: datetime) -> str:
    return _text({"type": "authenticated", "expires_at": _timestamp(expires_at)})


def ping() -> str:
    return _text({"type": "ping"})


def pong() -> str:
    return _text({"type": "pong"})


def event(*, event_type: str, data: Any, at: datetime) -> str:
    """An event as the client receives it: ``data`` is the REST representation."""
    return _text({"type": event_type, "id": str(uuid.uuid4()), "at": _timestamp(at), "data": data})


def _timestamp(moment: datetime) -> str | None:
    # As the REST API writes its datetimes (DRF's format, UTC as Z).
    return iso_timestamp(moment, UTC)


def _text(message: dict[str, Any]) -> str:
    # As DRF's JSONRenderer writes the REST bodies: compact, UTF-8 as is.
    return json.dumps(message, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))
