"""``ENGINE = "config.db.postgresql_metrics"``: Keel's PostgreSQL backend counted by
django-prometheus (connections, statements, errors), when ``METRICS_ENABLED``."""

from django_prometheus.db.backends.postgresql import base

from config.db.connection_checks import IdleConnectionChecks
from config.db.timestamps import CTimestamps


class DatabaseWrapper(IdleConnectionChecks, CTimestamps, base.DatabaseWrapper):
    pass
