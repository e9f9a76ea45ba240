"""Counting every statement a request sends, as a production server would see them sent.

Two things hide statements from Django's own query capture (``CaptureQueriesContext``,
``django_assert_num_queries``): the connection check before a request
(``CONN_HEALTH_CHECKS``) runs its ``SELECT 1`` on a bare driver cursor, outside Django's
cursor wrappers and so outside its query log; and the test client turns off the
request-boundary receivers that run that check at all, so that a test's transaction
survives its requests. ``connection_checks_per_request`` turns them back on and
``StatementsSent`` logs what bypasses Django; the benchmark and the connection tests use
both.
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext


class StatementsSent(CaptureQueriesContext):
    """Django's query capture, plus the statements sent beside Django's cursors.

    Everything Django logs (queries, ``BEGIN``, ``COMMIT``, savepoints) and, on
    PostgreSQL, every statement run on a driver cursor of the connection that did not
    come through Django's cursor wrappers, in the order sent: ``len(sent)`` and
    ``sent.sql``. Connections opened while counting are counted too.
    """

    def __enter__(self) -> "StatementsSent":
        super().__enter__()
        self._inside_django = 0
        self._stack = ExitStack()
        self._stack.enter_context(self.connection.execute_wrapper(self._through_django))
        self._count_beside_django(self.connection)
        connection_created.connect(self._on_connection_created, weak=False)
        self._stack.callback(connection_created.disconnect, self._on_connection_created)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stack.close()
        super().__exit__(*exc_info)

    @property
    def sql(self) -> list[str]:
        return [query["sql"] for query in self.captured_queries]

    def _through_django(
        self, execute: Callable, sql: str, params: Any, many: bool, context: dict
    ) -> Any:
        self._inside_django += 1
        try:
            return execute(sql, params, many, context)
        finally:
            self._inside_django -= 1

    def _on_connection_created(self, sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any):
        if connection is self.connection:
            self._count_beside_django(connection)

    def _count_beside_django(self, connection: BaseDatabaseWrapper) -> None:
        """Swap the psycopg connection's cursor class for one that logs what Django does not."""
        driver_connection = connection.connection
        if connection.vendor != "postgresql" or driver_connection is None:
            return  # SQLite's connection check sends nothing
        original = driver_connection.cursor_factory
        log_beside_django = self._log_beside_django

        class CountedCursor(original):  # type: ignore[misc, valid-type]
            def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
                try:
                    return super().execute(query, params, **kwargs)
                finally:
                    log_beside_django(query)

        driver_connection.cursor_factory = CountedCursor
        self._stack.callback(setattr, driver_connection, "cursor_factory", original)

    def _log_beside_django(self, query: Any) -> None:
        if not self._inside_django:
            self.connection.queries_log.append({"sql": str(query), "time": "0.000"})


@contextmanager
def connection_checks_per_request() -> Iterator[None]:
    """Check and recycle connections at each request's start and end, as in production.

    Django's WSGI handler does it through ``close_old_connections`` receivers, which the
    test client disconnects while it handles a request; these receivers stay.
    """

    def as_in_production(**kwargs: Any) -> None:
        close_old_connections(**kwargs)

    for signal in (request_started, request_finished):
        signal.connect(as_in_production, weak=False)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.disconnect(as_in_production)
