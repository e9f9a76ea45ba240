"""``manage.py migrate`` run by several containers at once: one migrates, the others wait."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the lock is PostgreSQL's advisory lock"
)


@pytest.fixture
def fresh_database(django_db_blocker):
    """An empty database beside the test one, dropped afterwards."""
    name = f"keel_migrate_{uuid.uuid4().hex[:8]}"
    settings = connection.settings_dict
    with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    user = settings["USER"] or "postgres"
    yield f"postgres://{user}@{settings['HOST']}:{settings['PORT'] or 5432}/{name}"
    with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_three_migrations_started_together_all_succeed(fresh_database):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": fresh_database,
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0], outputs
