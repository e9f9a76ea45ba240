"""Reading the environment into settings: the parts that need more than one line."""

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

KNOWN_WEAK_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev"})


def require_production_secret(name: str, value: str, *, dev_default: str) -> None:
    """Refuse to start in production with a missing, development or obviously weak secret."""
    if (
        value == dev_default
        or value.lower() in KNOWN_WEAK_SECRETS
        or value.startswith("django-insecure")
        or len(value) < 32
    ):
        raise ImproperlyConfigured(
            f"{name} must be set to a long random value when DEBUG is off "
            f"(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )


def require_production_value(name: str, value: Any) -> None:
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")


def build_database(
    url: str, *, conn_max_age: int, connect_timeout: int, statement_timeout_ms: int
) -> dict[str, Any]:
    """A DATABASES entry: persistent, health-checked connections with bounded waits."""
    config = env.db_url_config(url)
    config["CONN_MAX_AGE"] = conn_max_age
    config["CONN_HEALTH_CHECKS"] = True
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.postgresql":
        options.setdefault("connect_timeout", connect_timeout)
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
    """A CACHES entry: Django's own Redis backend for redis:// URLs, else local memory."""
    if url.startswith(("redis://", "rediss://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
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
