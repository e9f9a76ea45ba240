"""Reading the environment into settings: the parts that need more than one line."""

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()


def read_dotenv(base_dir: Path) -> None:
    """Load ``.env`` beside ``manage.py`` into the environment; variables already set win."""
    if (base_dir / ".env").exists():
        env.read_env(base_dir / ".env")


KNOWN_WEAK_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev"})


def require_production_secret(name: str, value: str, *, dev_default: str) -> None:
    """Refuse to start in production with a missing, development or obviously weak secret."""
    if (
        value == dev_default
        or value.lower() in KNOWN_WEAK_SECRETS
        or value.startswith("django-insecure")
        # Django's own deploy check (security.W009) asks for this much.
        or len(value) < 50
        or len(set(value)) < 5
    ):
        raise ImproperlyConfigured(
            f"{name} must be set to a long random value when DEBUG is off "
            f"(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )


def require_distinct_secrets(secret_key: str, jwt_signing_key: str) -> None:
    """Refuse one key for both: a leak of it would forge sessions and tokens alike."""
    if secret_key == jwt_signing_key:
        raise ImproperlyConfigured(
            "JWT_SIGNING_KEY must differ from SECRET_KEY when DEBUG is off: one leaked key "
            "would then sign both sessions and API tokens."
        )


def one_of(name: str, value: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; refuses to start otherwise."""
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def require_production_value(name: str, value: Any) -> None:
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")


POOLERS = ("", "pgbouncer")


def build_database(
    url: str,
    *,
    conn_max_age: int,
    connect_timeout: int,
    statement_timeout_ms: int,
    pooler: str = "",
) -> dict[str, Any]:
    """A DATABASES entry: persistent, health-checked connections with bounded waits.

    PostgreSQL gets Keel's backend, which checks a reused connection once per idle
    period (``DB_HEALTH_CHECK_IDLE_SECONDS``) instead of once per request.

    Through PgBouncer in transaction mode (``pooler="pgbouncer"``) a connection is not a
    session: PgBouncer refuses the ``options`` startup parameter that carries the
    statement timeout (set on the role instead: ``manage.py db_statement_timeout
    --apply``), and server-side cursors (``.iterator()``) would outlive the transaction
    their server connection was lent for.
    """
    if pooler not in POOLERS:
        raise ImproperlyConfigured(f"DB_POOLER must be empty or 'pgbouncer', not {pooler!r}.")
    config = env.db_url_config(url)
    config["CONN_MAX_AGE"] = conn_max_age
    config["CONN_HEALTH_CHECKS"] = True
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "config.db.postgresql"
        options.setdefault("connect_timeout", connect_timeout)
        if pooler == "pgbouncer":
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
        else:
            options.setdefault("options", f"-c statement_timeout={statement_timeout_ms}")
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside a writer; IMMEDIATE transactions take the write
        # lock up front so concurrent writers wait (busy_timeout) instead of failing.
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault(
            "init_command",
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA busy_timeout={connect_timeout * 1000};",
        )
    return config


def build_cache(url: str, *, socket_timeout: float, key_prefix: str) -> dict[str, Any]:
    """A CACHES entry: Django's Redis backend (reusing its clients) for redis:// URLs."""
    if url.startswith(("redis://", "rediss://")):
        return {
            "BACKEND": "config.ops.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": key_prefix,
            "OPTIONS": {
                "socket_connect_timeout": socket_timeout,
                "socket_timeout": socket_timeout,
            },
        }
    if url:
        return {**env.cache_url_config(url), "KEY_PREFIX": key_prefix}
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "keel",
        "KEY_PREFIX": key_prefix,
    }


def build_channel_layer(url: str, *, prefix: str, socket_timeout: float) -> dict[str, Any]:
    """CHANNEL_LAYERS["default"]: Redis pub/sub for redis:// URLs, else in-process only."""
    if not url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    return {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            # Connecting is bounded; reads are not, since a subscription waits for messages.
            "hosts": [{"address": url, "socket_connect_timeout": socket_timeout}],
            "prefix": prefix,
        },
    }


def build_file_storage(backend: str, *, media_root: Any, **s3: Any) -> dict[str, Any]:
    """STORAGES["default"]: local files, or a private S3-compatible bucket."""
    if backend == "local":
        # No base_url: files are never served from MEDIA_URL, only through the API.
        return {
            "BACKEND": "storage.backends.LocalFileStorage",
            "OPTIONS": {"location": media_root},
        }
    if backend != "s3":
        raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {backend!r}.")
    if not s3["bucket"]:
        raise ImproperlyConfigured("S3_BUCKET must be set when STORAGE_BACKEND is 's3'.")
    return {"BACKEND": "storage.backends.PrivateS3Storage", "OPTIONS": s3_storage_options(**s3)}


def s3_storage_options(
    *,
    bucket: str,
    endpoint_url: str,
    public_endpoint_url: str,
    region: str,
    access_key_id: str,
    secret_access_key: str,
    addressing_style: str,
    checksums_when_required: bool,
    connect_timeout: float = 2.0,
    read_timeout: float = 5.0,
) -> dict[str, Any]:
    from botocore.config import Config

    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "public_endpoint_url": public_endpoint_url or None,
        "region_name": region or None,
        # Empty keys fall back to boto3's own chain (AWS_* env, instance roles).
        "access_key": access_key_id or None,
        "secret_key": secret_access_key or None,
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style},
            # boto3 >= 1.36 sends CRC checksums that some S3-compatible servers refuse.
            request_checksum_calculation=(
                "when_required" if checksums_when_required else "when_supported"
            ),
            response_checksum_validation=(
                "when_required" if checksums_when_required else "when_supported"
            ),
            # Well below the gunicorn worker timeout: two tries of connect + read at most.
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    }


_INSTRUMENTED_ENGINES = {
    "config.db.postgresql": "config.db.postgresql_metrics",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
_INSTRUMENTED_CACHES = {
    "config.ops.cache.RedisCache": "config.ops.metrics.InstrumentedRedisCache",
    "django.core.cache.backends.locmem.LocMemCache": (
        "django_prometheus.cache.backends.locmem.LocMemCache"
    ),
}


def instrument_for_metrics(databases: dict, caches: dict) -> None:
    """Swap database and cache backends for django-prometheus's counting subclasses."""
    for database in databases.values():
        database["ENGINE"] = _INSTRUMENTED_ENGINES.get(database["ENGINE"], database["ENGINE"])
    for cache in caches.values():
        cache["BACKEND"] = _INSTRUMENTED_CACHES.get(cache["BACKEND"], cache["BACKEND"])
