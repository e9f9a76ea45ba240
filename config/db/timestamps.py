"""PostgreSQL timestamps read by psycopg's C loader, in the time zone Django asks for.

Django's PostgreSQL backend reads every ``timestamptz`` with a loader it derives from
psycopg's pure-Python ``TimestamptzLoader`` (``psycopg_any.BaseTzLoader``: parse, then
set the ``tzinfo`` Django wants), so the C loader that psycopg[binary] installs is never
used for them: 9 us a value against 3 us (measured), and a page of 20 items holds 40.
This loader has the loader psycopg registers by default (the C one where it is built)
parse the value, then sets the same ``tzinfo`` as Django's. Both convert the value to the
connection's time zone first, so they read every value alike
(``config/tests/test_timestamps.py`` holds them equal on a real connection).
"""

import functools
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from psycopg import abc, adapt, adapters
from psycopg.pq import Format

if TYPE_CHECKING:
    from django.db.backends.postgresql.base import DatabaseWrapper as _PostgreSQLWrapper
else:
    _PostgreSQLWrapper = object

TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid


def _psycopg_loader() -> type[abc.Loader]:
    """psycopg's own, from its global map (Django's maps extend it and override it)."""
    loader = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader is not None, "psycopg registers a timestamptz loader of its own"
    return loader


_PARSER = _psycopg_loader()


class TimestamptzLoader(adapt.Loader):
    # Django's create_cursor compares it with the connection's time zone, as it does its
    # own loader's, and registers its own on a cursor when they differ.
    timezone: tzinfo | None = None

    def __init__(self, oid: int, context: abc.AdaptContext | None = None):
        super().__init__(oid, context)
        self._parse = _PARSER(oid, context).load

    def load(self, data: Any) -> datetime:
        return self._parse(data).replace(tzinfo=self.timezone)


@functools.cache
def with_c_timestamps(template: adapt.AdaptersMap, zone: tzinfo | None) -> adapt.AdaptersMap:
    """Django's adapters ``template`` (for ``zone``), its timestamptz loader replaced."""
    context = adapt.AdaptersMap(template)
    loader = type("TimestamptzLoader", (TimestamptzLoader,), {"timezone": zone})
    context.register_loader(TIMESTAMPTZ_OID, loader)
    return context


class CTimestamps(_PostgreSQLWrapper):
    """A PostgreSQL ``DatabaseWrapper`` mixin: connections read timestamps in C."""

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        # Only psycopg 3 takes an adapters context (Django sets one for every connection).
        if "context" in params:
            params["context"] = with_c_timestamps(params["context"], self.timezone)
        return params
