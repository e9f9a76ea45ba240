"""Keel through PgBouncer in transaction mode (DB_POOLER=pgbouncer), the real pooler."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from config.management.commands.db_statement_timeout import statement_timeout_ms

BASE_DIR = Path(__file__).resolve().parents[2]
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PgBouncer pools PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
needs_pgbouncer = pytest.mark.skipif(not Path(PGBOUNCER).exists(), reason="no pgbouncer")


@pytest.fixture
def role_timeout_reset():
    """The role's setting for the test database is removed again, whatever happens."""
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} RESET statement_timeout")
            .format(sql.Identifier(connection.settings_dict["NAME"]))
            .as_string(connection.connection)
        )


@pytest.fixture
def pgbouncer():
    """PgBouncer in transaction mode in front of the test database, on a free port."""
    # Its own directory, readable by the postgres user pgbouncer runs as under root.
    tmp_path = Path(tempfile.mkdtemp(prefix="keel-pgbouncer-"))
    tmp_path.chmod(0o777)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    (tmp_path / "users.txt").write_text(f'"{user}" ""\n')
    (tmp_path / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={settings['HOST']} port={settings['PORT'] or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {tmp_path}/users.txt\n"
        "pool_mode = transaction\ndefault_pool_size = 2\n"
        f"logfile = {tmp_path}/pgbouncer.log\npidfile = {tmp_path}/pgbouncer.pid\n"
    )
    process = subprocess.Popen(
        [PGBOUNCER, str(tmp_path / "pgbouncer.ini")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # pgbouncer refuses to run as root: as the postgres user, where there is one.
        user="postgres" if os.geteuid() == 0 else None,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"postgres://{user}@127.0.0.1:{port}/{settings['NAME']}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(tmp_path, ignore_errors=True)


def django_through(url: str, code: str, **environ: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": url,
            **environ,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


WORK = (
    "from django.db import connection\n"
    "from django.contrib.auth.models import Permission\n"
    "from config.management.commands.db_statement_timeout import statement_timeout_ms\n"
    "for _ in range(3):\n"
    "    assert len(list(Permission.objects.iterator(chunk_size=5))) > 10\n"
    "print('timeout', statement_timeout_ms(connection))\n"
)


def test_apply_stores_the_timeout_on_the_role_for_new_sessions(
    settings, monkeypatch, role_timeout_reset
):
    # As through the pooler: sessions start without Keel's own startup option.
    options = {k: v for k, v in connection.settings_dict["OPTIONS"].items() if k != "options"}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    settings.DB_STATEMENT_TIMEOUT_MS = 4321

    call_command("db_statement_timeout", "--apply")

    connection.close()
    assert statement_timeout_ms(connection) == 4321


def test_without_apply_a_different_timeout_is_reported(settings):
    settings.DB_STATEMENT_TIMEOUT_MS = 1234
    with pytest.raises(CommandError, match="differs from DB_STATEMENT_TIMEOUT_MS"):
        call_command("db_statement_timeout")


@needs_pgbouncer
def test_plain_settings_are_refused_by_pgbouncer(pgbouncer):
    result = django_through(pgbouncer, WORK)

    assert result.returncode != 0
    assert "unsupported startup parameter" in result.stderr


@needs_pgbouncer
def test_keel_works_through_pgbouncer_with_the_timeout_kept(pgbouncer, role_timeout_reset):
    call_command("db_statement_timeout", "--apply")

    result = django_through(pgbouncer, WORK, DB_POOLER="pgbouncer")

    assert result.returncode == 0, result.stderr
    assert "timeout 10000" in result.stdout


# Two requests' worth of work on one persistent connection to PgBouncer, PostgreSQL
# ending PgBouncer's server connections in between (as a restart would).
SERVER_CONNECTIONS_ENDED = (
    "import os, psycopg\n"
    "from django.db import connection\n"
    "from config.db.statements import StatementsSent\n"
    "def request():\n"
    "    connection.close_if_unusable_or_obsolete()  # what each request starts with\n"
    "    with connection.cursor() as cursor:\n"
    "        cursor.execute('SELECT 1 + 1')\n"
    "        return cursor.fetchone()[0]\n"
    "request()\n"
    "with psycopg.connect(os.environ['DIRECT_URL'], autocommit=True) as direct:\n"
    "    ended = direct.execute(\n"
    "        'SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity'\n"
    "        ' WHERE datname = current_database() AND pid <> pg_backend_pid()'\n"
    "        \" AND backend_type = 'client backend' AND pid <> %s\",\n"
    "        [int(os.environ['KEEP_PID'])],\n"
    "    ).fetchone()[0]\n"
    "with StatementsSent(connection) as sent:\n"
    "    answer = request()\n"
    "print('ended', ended, 'answer', answer, 'sent', sent.sql)\n"
)


@needs_pgbouncer
def test_server_connections_ended_behind_pgbouncer_cost_no_failed_request(pgbouncer):
    settings = connection.settings_dict
    user, port = settings["USER"] or "postgres", settings["PORT"] or 5432
    connection.ensure_connection()

    result = django_through(
        pgbouncer,
        SERVER_CONNECTIONS_ENDED,
        DB_POOLER="pgbouncer",
        DIRECT_URL=f"postgresql://{user}@{settings['HOST']}:{port}/{settings['NAME']}",
        # The test's own connection to the database stays.
        KEEP_PID=str(connection.connection.info.backend_pid),
    )

    assert result.returncode == 0, result.stderr
    # PgBouncer opens a new server connection; Keel's connection to it needs no check.
    assert "ended 1 answer 2 sent ['SELECT 1 + 1']" in result.stdout
