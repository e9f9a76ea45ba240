"""Deployment checks (``manage.py check --deploy``): the trust boundary set by configuration.

Each names a mistake that works on one machine and breaks, or leaks, once Keel runs
behind a proxy or as several instances.
"""

import os
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from rest_framework.settings import api_settings

LOCAL_FILE_STORAGE = "storage.backends.LocalFileStorage"


@register(Tags.security, deploy=True)
def metrics_need_a_token_behind_a_proxy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.METRICS_ENABLED or settings.METRICS_TOKEN or not _num_proxies():
        return []
    return [
        Error(
            "/metrics is open to anyone the proxy forwards: behind a proxy every request "
            "arrives from the proxy's address, which the METRICS_ALLOWED_NETWORKS allow-list "
            "lets through.",
            hint="Set METRICS_TOKEN and have the scraper send it as a bearer token.",
            id="keel.E001",
        )
    ]


@register(Tags.security, deploy=True)
def forwarded_headers_and_num_proxies_agree(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    # gunicorn's FORWARDED_ALLOW_IPS, given explicitly, says a proxy sits in front.
    proxied = os.environ.get("FORWARDED_ALLOW_IPS", "").strip() not in ("", "127.0.0.1")
    if not proxied or _num_proxies():
        return []
    return [
        Warning(
            "FORWARDED_ALLOW_IPS names a proxy in front of gunicorn, but NUM_PROXIES is 0: "
            "throttles and logs see the proxy's address for every client, so one client's "
            "failed logins lock out everyone.",
            hint="Set NUM_PROXIES to the number of proxies that append to X-Forwarded-For.",
            id="keel.W002",
        )
    ]


@register(Tags.compatibility, deploy=True)
def local_files_serve_one_instance_only(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.STORAGES["default"]["BACKEND"] != LOCAL_FILE_STORAGE:
        return []
    return [
        Warning(
            "Uploaded files are stored on this machine's disk (STORAGE_BACKEND=local): a "
            "second instance cannot read them, and its downloads fail while its readiness "
            "says ok.",
            hint="Use STORAGE_BACKEND=s3 with a bucket, or run a single instance.",
            id="keel.W003",
        )
    ]


@register(Tags.database, deploy=True)
def statement_timeout_survives_the_pooler(
    app_configs: Any, databases: Collection[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Through PgBouncer the timeout lives on the role: is it there? (``--database``)"""
    if settings.DB_POOLER != "pgbouncer" or "default" not in (databases or ()):
        return []
    from django.db import connection

    from config.management.commands.db_statement_timeout import statement_timeout_ms

    current = statement_timeout_ms(connection)
    if current == settings.DB_STATEMENT_TIMEOUT_MS:
        return []
    return [
        Warning(
            f"Through PgBouncer, statements run with statement_timeout = {current} ms, not "
            f"DB_STATEMENT_TIMEOUT_MS ({settings.DB_STATEMENT_TIMEOUT_MS} ms): a slow query "
            "would hold a worker until gunicorn kills it.",
            hint="Run `manage.py db_statement_timeout --apply` (once per database).",
            id="keel.W004",
        )
    ]


def _num_proxies() -> int:
    return api_settings.NUM_PROXIES or 0
