"""``/ws/v1/events/``: one socket's live events, for the user its first message names.

The life of a socket:

1. accepted, then nothing but ``{"type": "authenticate", "token": ...}`` is read within
   ``REALTIME_AUTH_TIMEOUT_SECONDS`` (a token never travels in the URL, which ends up in
   logs); the answer is ``{"type": "authenticated", "expires_at": ...}``;
2. it takes one of the user's connection places and joins their group: from now on it
   receives the events of the user's own objects (staff too: nobody gets everyone's);
3. a heartbeat every ``REALTIME_HEARTBEAT_SECONDS`` sends ``{"type": "ping"}`` and
   renews the place (so it also notices Redis gone); a client ``ping`` gets a ``pong``;
4. before its token expires the client sends ``authenticate`` again with a fresh one;
   if it does not, the socket closes with 4003 when the token expires.

Everything the server sends goes through a bounded outbox written by one task. The
server's send waits while the client's socket is full (uvicorn's flow control), so a
client that reads too slowly lets the outbox fill: at ``REALTIME_MAX_PENDING_EVENTS``
it is disconnected (4005) instead of buffering without bound. Close codes:
``realtime.protocol.CloseCode``.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from config.ops.dependencies import DEPENDENCY_ERRORS, REDIS_ERRORS
from realtime import protocol
from realtime.connections import connection_places, local_socket_joined, local_socket_left
from realtime.events import user_group
from realtime.protocol import BadMessage, CloseCode
from realtime.tokens import TokenRefused, VerifiedToken, access_token_verify

logger = logging.getLogger("keel.realtime")

# How long a close may wait for a client that does not read before the socket is left.
_CLOSE_TIMEOUT_SECONDS = 1.0


class EventsConsumer(AsyncWebsocketConsumer):
    user_id: uuid.UUID | None = None

    async def __call__(self, scope: Any, receive: Callable, send: Callable) -> None:
        self._accepted = False
        try:
            await super().__call__(scope, receive, send)
        except REDIS_ERRORS as error:
            # The layer could not subscribe this socket's channel before it opened.
            _layer_failed(error)
            if not self._accepted:
                await receive()  # websocket.connect
                await send({"type": "websocket.accept"})
            await send(_close_message(CloseCode.TRY_AGAIN_LATER))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler (a thread
        # hop per event per socket); only authentication reads the database, and
        # database_sync_to_async does that around it.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- the socket's life ---------------------------------------------------------------

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        # At least one: a queue of size 0 would be unbounded.
        pending = max(1, settings.REALTIME_MAX_PENDING_EVENTS)
        self._outbox: asyncio.Queue[str] = asyncio.Queue(pending)
        self._tasks: set[asyncio.Task] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._closing = False
        await self.accept()
        self._accepted = True
        self._start(self._write())
        self._timers["authentication"] = loop.call_later(
            settings.REALTIME_AUTH_TIMEOUT_SECONDS,
            self._close_soon,
            CloseCode.AUTHENTICATION_REQUIRED,
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if self._closing:
            return
        authenticated = self.user_id is not None
        try:
            message = protocol.client_message(text_data)
        except BadMessage:
            message = None
        if message is None or (not authenticated and message.type != "authenticate"):
            code = CloseCode.BAD_MESSAGE if authenticated else CloseCode.AUTHENTICATION_REQUIRED
            await self._close(code)
        elif message.type == "authenticate":
            await self._authenticate(message.token)
        else:
            self._push(protocol.pong())

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def resource_event(self, message: dict[str, str]) -> None:
        """An event of the user's, from the channel layer (``realtime.events``)."""
        if self.user_id is not None and not self._closing:
            self._push(message["text"])

    # --- authentication ------------------------------------------------------------------

    async def _authenticate(self, raw_token: str) -> None:
        try:
            verified = await database_sync_to_async(access_token_verify)(raw_token)
        except TokenRefused as refused:
            await self._close(refused.close_code)
            return
        if self._closing:
            return  # the deadline passed while the token was being checked
        if self.user_id is None:
            # In time: from here nothing but the client can close it until it has joined.
            self._timers.pop("authentication").cancel()
            if not await self._join(verified):
                return
        elif verified.user_id != self.user_id:
            # One socket, one user: another user's stream needs a socket of its own.
            await self._close(CloseCode.TOKEN_INVALID)
            return
        self._expire_at(verified.expires_at)
        self._push(protocol.authenticated(expires_at=verified.expires_at))

    async def _join(self, verified: VerifiedToken) -> bool:
        """Take a place among the user's sockets and join their group."""
        try:
            if not await connection_places().take(verified.user_id, self.channel_name):
                await self._close(CloseCode.TOO_MANY_CONNECTIONS)
                return False
            self.user_id = verified.user_id
            await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        except REDIS_ERRORS as error:
            _layer_failed(error)
            await self._close(CloseCode.TRY_AGAIN_LATER)
            return False
        local_socket_joined(user_group(self.user_id), self.channel_name)
        self._start(self._beat())
        return True

    def _expire_at(self, expires_at: datetime) -> None:
        if timer := self._timers.pop("expiry", None):
            timer.cancel()
        delay = max(0.0, (expires_at - timezone.now()).total_seconds())
        self._timers["expiry"] = asyncio.get_running_loop().call_later(
            delay, self._close_soon, CloseCode.TOKEN_EXPIRED
        )

    # --- sending -------------------------------------------------------------------------

    def _push(self, text: str) -> None:
        try:
            self._outbox.put_nowait(text)
        except asyncio.QueueFull:
            self._close_soon(CloseCode.TOO_SLOW)

    async def _write(self) -> None:
        while True:
            text = await self._outbox.get()
            await self.send(text_data=text)

    async def _beat(self) -> None:
        assert self.user_id is not None
        while True:
            await asyncio.sleep(settings.REALTIME_HEARTBEAT_SECONDS)
            try:
                await connection_places().renew(self.user_id, self.channel_name)
            except REDIS_ERRORS as error:
                _layer_failed(error)
                self._close_soon(CloseCode.TRY_AGAIN_LATER)
                return
            self._push(protocol.ping())

    # --- closing -------------------------------------------------------------------------

    def _close_soon(self, code: CloseCode) -> None:
        """Close from a timer or a synchronous path (the close itself is awaited)."""
        if not self._closing:
            self._start(self._close(code))

    async def _close(self, code: CloseCode) -> None:
        if self._closing:
            return
        self._closing = True
        logger.info("closing events socket: %s", code.reason, extra={"close_code": int(code)})
        await self._leave()
        # A client that does not read is left to the server, which drops the connection
        # when its keepalive ping times out; nothing is buffered for it any more.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self.close(code=int(code), reason=code.reason), _CLOSE_TIMEOUT_SECONDS
            )

    async def _leave(self) -> None:
        """Stop everything the socket runs and give back what it holds; idempotent."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        user_id, self.user_id = self.user_id, None
        if user_id is None:
            return
        group = user_group(user_id)
        local_socket_left(group, self.channel_name)
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
            await connection_places().give_back(user_id, self.channel_name)
        except REDIS_ERRORS as error:
            # The place lapses with its lease; the layer drops the subscription itself.
            _layer_failed(error)

    def _start(self, work) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _layer_failed(error: BaseException) -> None:
    DEPENDENCY_ERRORS.labels("channel_layer").inc()
    logger.warning(
        "channel layer unavailable: %s",
        error,
        extra={"dependency": "channel_layer", "code": "channel_layer_unavailable"},
    )


def _close_message(code: CloseCode) -> dict[str, Any]:
    return {"type": "websocket.close", "code": int(code), "reason": code.reason}
