"""Timestamps read by psycopg's C loader read as Django's own loader reads them."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader, get_adapters_template
from model_bakery import baker

from config.db.timestamps import _PARSER, TIMESTAMPTZ_OID, TimestamptzLoader, with_c_timestamps
from items.models import Item

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL timestamps"),
    pytest.mark.django_db,
]

VALUES = [
    "2026-12-06 21:43:36.123456+00",
    "2026-12-06 21:43:36+00",
    "2026-01-01 00:00:00.000001+00",
    "0099-01-01 00:00:00+00",
    "9999-12-30 23:59:59.999999+00",
    "2026-03-29 02:30:00+05:30",
    "2026-10-25 01:30:00-09:30",
    "1900-01-01 00:00:00+00",
]


def _read(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _loader_of_cursor():
    with connection.cursor() as cursor:
        return cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, 0)


def test_the_connection_reads_timestamps_with_the_c_loader():
    loader = _loader_of_cursor()

    assert issubclass(loader, TimestamptzLoader)
    assert loader.timezone is UTC  # Django's connection time zone under USE_TZ
    # The parser is psycopg's compiled one (the lock installs psycopg[binary]).
    assert psycopg.pq.__impl__ == "binary"
    assert _PARSER.__module__ == "psycopg_binary._psycopg"


@pytest.mark.parametrize("value", ["infinity", "-infinity", "2026-01-01 00:00:00+00 BC"])
def test_a_value_python_cannot_hold_is_refused_as_djangos_loader_refuses_it(value):
    connection.ensure_connection()
    raw = connection.connection
    ours = _loader_of_cursor()(TIMESTAMPTZ_OID, raw)
    djangos = type("L", (BaseTzLoader,), {"timezone": UTC})(TIMESTAMPTZ_OID, raw)
    (text,) = _read("SELECT %s::timestamptz::text", [value])

    with pytest.raises(psycopg.DataError):
        djangos.load(text.encode())
    with pytest.raises(psycopg.DataError):
        ours.load(text.encode())


@pytest.mark.parametrize("session_zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_each_value_reads_as_djangos_loader_reads_it(session_zone):
    # The loaders convert to the session's time zone before setting Django's tzinfo.
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE %s", [session_zone])
    try:
        read = _read("SELECT value::timestamptz FROM unnest(%s::text[]) AS value", [VALUES])
        with connection.cursor() as cursor:
            raw = connection.connection  # the psycopg connection, its session's zone set
            django_loader = type("L", (BaseTzLoader,), {"timezone": UTC})(TIMESTAMPTZ_OID, raw)
            cursor.execute(
                "SELECT value::timestamptz::text FROM unnest(%s::text[]) AS value", [VALUES]
            )
            expected = [django_loader.load(text.encode()) for (text,) in cursor.fetchall()]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")

    assert read == expected
    assert all(value.tzinfo is UTC for value in read)


def test_a_model_reads_back_the_instant_it_saved(user):
    written = datetime(2026, 12, 6, 21, 43, 36, 123456, tzinfo=ZoneInfo("Europe/Paris"))
    item = baker.make(Item, owner=user, is_completed=True, completed_at=written)

    read = Item.objects.get(pk=item.pk).completed_at

    assert read == written
    assert read.tzinfo is UTC
    assert read.utcoffset() == timedelta(0)


def test_without_time_zones_the_values_are_naive_as_django_reads_them():
    # USE_TZ = False: Django's loader drops the zone (its timezone is None); so does ours.
    connection.ensure_connection()
    raw = connection.connection
    template = get_adapters_template(False, None)
    ours = with_c_timestamps(template, None).get_loader(TIMESTAMPTZ_OID, 0)(TIMESTAMPTZ_OID, raw)
    djangos = template.get_loader(TIMESTAMPTZ_OID, 0)(TIMESTAMPTZ_OID, raw)

    for value in VALUES:
        assert ours.load(value.encode()) == djangos.load(value.encode()), value
        assert ours.load(value.encode()).tzinfo is None
