import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.api.parsers import content_length
from config.settings.env import (
    build_cache,
    build_database,
    instrument_for_metrics,
    require_production_secret,
    require_production_value,
)

BASE_DIR = Path(__file__).resolve().parents[2]
STRONG = "s" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz"


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly this environment."""
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "JWT_SIGNING_KEY", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=BASE_DIR,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_no_environment_gives_a_working_development_configuration():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"JWT_SIGNING_KEY": STRONG + "j", "ALLOWED_HOSTS": "a.io"}, "SECRET_KEY"),
        (
            {"SECRET_KEY": "changeme", "JWT_SIGNING_KEY": STRONG, "ALLOWED_HOSTS": "a.io"},
            "SECRET_KEY",
        ),
        ({"SECRET_KEY": STRONG, "ALLOWED_HOSTS": "a.io"}, "JWT_SIGNING_KEY"),
        ({"SECRET_KEY": STRONG, "JWT_SIGNING_KEY": STRONG + "j"}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_secrets_and_hosts(env, named):
    result = load_settings(DEBUG="false", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{named} must be set" in result.stderr


def test_production_refuses_the_same_key_for_sessions_and_tokens():
    result = load_settings(
        DEBUG="false", SECRET_KEY=STRONG, JWT_SIGNING_KEY=STRONG, ALLOWED_HOSTS="a.io"
    )
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ from SECRET_KEY" in result.stderr


def test_an_unknown_samesite_for_the_refresh_cookie_is_refused_at_start():
    result = load_settings(JWT_REFRESH_COOKIE_SAMESITE="sometimes")
    assert result.returncode != 0
    assert "JWT_REFRESH_COOKIE_SAMESITE must be one of Strict, Lax" in result.stderr


def test_production_starts_with_secrets_and_hosts():
    result = load_settings(
        DEBUG="false", SECRET_KEY=STRONG, JWT_SIGNING_KEY=STRONG + "j", ALLOWED_HOSTS="a.io"
    )
    assert result.returncode == 0, result.stderr


def test_postgres_url_gets_persistent_connections_and_timeouts():
    config = build_database(
        "postgres://keel:pw@db:5432/keel",
        conn_max_age=60,
        connect_timeout=3,
        statement_timeout_ms=1000,
    )
    # Django's backend, checking a reused connection once per idle period.
    assert config["ENGINE"] == "config.db.postgresql"
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["OPTIONS"] == {"connect_timeout": 3, "options": "-c statement_timeout=1000"}


def test_through_pgbouncer_no_startup_options_and_no_server_side_cursors():
    config = build_database(
        "postgres://keel:pw@pgbouncer:6432/keel",
        conn_max_age=60,
        connect_timeout=3,
        statement_timeout_ms=1000,
        pooler="pgbouncer",
    )
    # PgBouncer refuses the `options` startup parameter; Django's docs require the
    # cursor setting under transaction pooling.
    assert config["OPTIONS"] == {"connect_timeout": 3}
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_metrics_count_keels_own_postgresql_backend():
    databases = {
        "default": build_database(
            "postgres://db/keel", conn_max_age=60, connect_timeout=3, statement_timeout_ms=1
        )
    }

    instrument_for_metrics(databases, caches={})

    # The connection check once per idle period, under django-prometheus's counters.
    assert databases["default"]["ENGINE"] == "config.db.postgresql_metrics"


def test_an_unknown_pooler_is_refused():
    with pytest.raises(ImproperlyConfigured, match="DB_POOLER"):
        build_database(
            "postgres://db/keel", conn_max_age=0, connect_timeout=1, statement_timeout_ms=1,
            pooler="odyssey",
        )  # fmt: skip


def test_sqlite_url_gets_wal_and_immediate_transactions():
    config = build_database(
        "sqlite:////tmp/x.sqlite3", conn_max_age=60, connect_timeout=5, statement_timeout_ms=1
    )
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_redis_url_uses_djangos_redis_cache_with_timeouts():
    config = build_cache("redis://127.0.0.1:6379/1", socket_timeout=0.5, key_prefix="k")
    assert config["BACKEND"] == "config.ops.cache.RedisCache"
    assert config["LOCATION"] == "redis://127.0.0.1:6379/1"
    assert config["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def test_no_cache_url_uses_local_memory():
    config = build_cache("", socket_timeout=1, key_prefix="k")
    assert config["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_other_cache_urls_are_parsed_by_django_environ():
    config = build_cache("dummycache://", socket_timeout=1, key_prefix="k")
    assert config["BACKEND"] == "django.core.cache.backends.dummy.DummyCache"


def test_every_environment_variable_is_documented_in_env_example():
    read = set()
    for module in (BASE_DIR / "config").glob("**/*.py"):
        read |= set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', module.read_text()))
    gunicorn = (BASE_DIR / "config" / "gunicorn.py").read_text()
    read |= set(re.findall(r'(?:_int|environ\.get)\("([A-Z][A-Z0-9_]+)"', gunicorn))
    entrypoint = (BASE_DIR / "docker" / "entrypoint.sh").read_text()
    read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", entrypoint))
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (BASE_DIR / ".env.example").read_text(), re.M)
    )
    assert read
    assert read - documented == set()


@pytest.mark.parametrize("weak", ["", "changeme", "django-insecure-abc" + "x" * 40, "short"])
def test_require_production_secret_rejects_weak_values(weak):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        require_production_secret("SECRET_KEY", weak, dev_default="dev")


def test_require_production_secret_accepts_a_long_random_value():
    # It answers None when satisfied and raises ImproperlyConfigured otherwise.
    assert require_production_secret("SECRET_KEY", STRONG, dev_default="dev") is None


def test_require_production_value_rejects_empty():
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS must be set"):
        require_production_value("ALLOWED_HOSTS", [])


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({}, 0),
        ({"CONTENT_LENGTH": "12"}, 12),
        ({"CONTENT_LENGTH": "abc"}, 0),
        ({"CONTENT_LENGTH": "-5"}, 0),
    ],
)
def test_content_length_tolerates_missing_and_garbage_headers(meta, expected):
    assert content_length(meta) == expected


def test_redis_cache_reuses_one_client_per_connection_pool():
    from config.ops.cache import RedisCache

    cache = RedisCache("redis://127.0.0.1:6379/15", {})
    assert cache._cache.get_client("a") is cache._cache.get_client("b")


def test_a_copied_env_example_gives_a_working_development_configuration():
    example = (BASE_DIR / ".env.example").read_text()
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", example, re.M))
    result = load_settings(**values)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_empty_database_url_and_secrets_count_as_unset():
    result = load_settings(DATABASE_URL="", SECRET_KEY="", JWT_SIGNING_KEY="")
    assert result.returncode == 0, result.stderr
