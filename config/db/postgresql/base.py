"""``ENGINE = "config.db.postgresql"``: Django's PostgreSQL backend, checking a reused
connection once per idle period (``config.db.connection_checks``)."""

from django.db.backends.postgresql import base

from config.db.connection_checks import IdleConnectionChecks


class DatabaseWrapper(IdleConnectionChecks, base.DatabaseWrapper):
    pass
