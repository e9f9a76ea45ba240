"""``ENGINE = "config.db.postgresql"``: Django's PostgreSQL backend, checking a reused
connection once per idle period (``config.db.connection_checks``) and reading timestamps
with psycopg's C loader (``config.db.timestamps``)."""

from django.db.backends.postgresql import base

from config.db.connection_checks import IdleConnectionChecks
from config.db.timestamps import CTimestamps


class DatabaseWrapper(IdleConnectionChecks, CTimestamps, base.DatabaseWrapper):
    pass
