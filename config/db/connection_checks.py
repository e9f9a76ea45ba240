"""Checking a reused PostgreSQL connection once per idle period, not once per request.

Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1`` before the first statement of every
request on a reused connection: a round trip per request (retrieves were 8% faster
without it on the benchmark machine, issue 15). A connection used less than
``DB_HEALTH_CHECK_IDLE_SECONDS`` ago is checked without one instead, by looking at its
socket: a server that closes a connection (a restart, ``pg_terminate_backend``,
PgBouncer going away, an idle timeout) says so there, with an error message and the
end of the stream, before the connection is used again. A silent socket is trusted;
anything waiting on it sends the request through Django's own check, which replaces a
dead connection before the request uses it. So a restart costs no failed request, and
no statement is ever sent twice (one that fails because the connection died under it
may have run: only its caller can know whether running it again is safe).

A connection idle for longer gets Django's ``SELECT 1``: only a round trip notices a
peer that vanished without a word (a failed-over address answering with a reset).

``config/tests/test_database_connections.py`` holds this to real connections, killed.
"""

import select
import time
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.db.backends.postgresql.base import DatabaseWrapper as _PostgreSQLWrapper
else:
    _PostgreSQLWrapper = object


class IdleConnectionChecks(_PostgreSQLWrapper):
    """A PostgreSQL ``DatabaseWrapper`` part: the connection check, skipped while in use."""

    used_at = 0.0
    health_check_enabled: bool  # Django's (CONN_HEALTH_CHECKS); missing from django-stubs

    def close_if_health_check_failed(self) -> None:
        # Django calls this before every cursor and transaction; it checks once per request.
        if self._check_pending() and self._used_recently() and self._socket_is_silent():
            self.health_check_done = True
        super().close_if_health_check_failed()
        self.used_at = time.monotonic()

    def _check_pending(self) -> bool:
        return (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            # Django's pool hands out only connections it has checked.
            and not self.pool
        )

    def _used_recently(self) -> bool:
        return time.monotonic() - self.used_at < settings.DB_HEALTH_CHECK_IDLE_SECONDS

    def _socket_is_silent(self) -> bool:
        """Nothing has arrived on the idle connection: no goodbye, no end of stream."""
        socket = self.connection.fileno()
        if not hasattr(select, "poll"):  # Windows
            return not select.select([socket], [], [], 0)[0]
        poller = select.poll()
        poller.register(socket, select.POLLIN)
        return not poller.poll(0)
