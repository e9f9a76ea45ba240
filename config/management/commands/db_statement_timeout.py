"""``manage.py db_statement_timeout [--apply]``: the statement timeout Keel's sessions get.

Keel sends ``DB_STATEMENT_TIMEOUT_MS`` with each connection it opens. Through PgBouncer
in transaction mode (``DB_POOLER=pgbouncer``) it cannot: PgBouncer refuses the startup
parameter, and a ``SET`` would stick to whichever server connection ran it. ``--apply``
stores the timeout on the role, for this database only, so every server connection
PgBouncer opens gets it; connections it already holds keep their old value until it
recycles them (``server_lifetime``, or ``RECONNECT`` in its console).
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql


def statement_timeout_ms(connection: BaseDatabaseWrapper) -> int:
    """What this session's statements get (0: no limit)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting::int FROM pg_settings WHERE name = 'statement_timeout'")
        return cursor.fetchone()[0]


class Command(BaseCommand):
    help = "Show, or with --apply store on the role, the statement timeout of new sessions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--apply",
            action="store_true",
            help="ALTER ROLE CURRENT_USER IN DATABASE <db> SET statement_timeout",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, apply: bool, database: str, **options: Any) -> None:
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("The statement timeout is PostgreSQL's; this database is not.")
        wanted = settings.DB_STATEMENT_TIMEOUT_MS
        if apply:
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} SET statement_timeout = {}")
                    .format(
                        sql.Identifier(connection.settings_dict["NAME"]),
                        sql.Literal(f"{wanted}ms"),
                    )
                    .as_string(connection.connection)
                )
            # A role's settings apply from a session's start: look through a new one.
            connection.close()
        current = statement_timeout_ms(connection)
        self.stdout.write(
            f"New sessions get statement_timeout = {current} ms "
            f"(DB_STATEMENT_TIMEOUT_MS = {wanted} ms)."
        )
        if current != wanted:
            raise CommandError(
                "The database's statement timeout differs from DB_STATEMENT_TIMEOUT_MS; "
                "run `manage.py db_statement_timeout --apply`."
            )
