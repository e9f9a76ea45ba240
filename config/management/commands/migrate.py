"""``manage.py migrate``, one at a time.

On PostgreSQL it holds a session advisory lock for the whole run, so containers starting
together (``MIGRATE_ON_START``, several release jobs) wait for each other instead of
racing to create the same tables; the ones that wait then find nothing left to do.
A session lock cannot be held through PgBouncer in transaction mode (it would stay on
whichever server connection took it): with ``DB_POOLER=pgbouncer`` no lock is taken, so
run migrations once (one job), or point ``DATABASE_URL`` at PostgreSQL itself for them.
"""

from typing import Any

from django.conf import settings
from django.core.management.commands import migrate
from django.db import connections

# Any constant shared by every Keel process; "keel" in ASCII.
MIGRATION_LOCK = 0x6B65656C


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> str | None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql" or settings.DB_POOLER == "pgbouncer":
            return super().handle(*args, **options)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
        try:
            return super().handle(*args, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])
