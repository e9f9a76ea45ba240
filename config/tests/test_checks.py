"""check --deploy names the trust-boundary mistakes that appear behind a proxy or at scale."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from config import checks

S3 = {"BACKEND": "storage.backends.PrivateS3Storage", "OPTIONS": {"bucket_name": "b"}}


@pytest.fixture
def proxies(monkeypatch):
    def behind(count: int) -> None:
        monkeypatch.setattr(checks, "_num_proxies", lambda: count)

    return behind


def ids(found) -> list[str]:
    return [message.id for message in found]


def test_metrics_without_a_token_behind_a_proxy_is_an_error(settings, proxies):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, ""
    proxies(1)

    assert ids(checks.metrics_need_a_token_behind_a_proxy(None)) == ["keel.E001"]


@pytest.mark.parametrize(
    ("enabled", "token", "count"), [(True, "s3cret", 1), (True, "", 0), (False, "", 1)]
)
def test_metrics_with_a_token_direct_or_off_pass(settings, proxies, enabled, token, count):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = enabled, token
    proxies(count)

    assert checks.metrics_need_a_token_behind_a_proxy(None) == []


@pytest.mark.parametrize(
    ("forwarded", "count", "expected"),
    [
        ("10.0.0.5", 0, ["keel.W002"]),
        ("*", 0, ["keel.W002"]),
        ("10.0.0.5", 1, []),
        ("127.0.0.1", 0, []),
        (None, 0, []),
    ],
)
def test_a_proxy_named_to_gunicorn_needs_num_proxies(
    monkeypatch, proxies, forwarded, count, expected
):
    if forwarded is None:
        monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", forwarded)
    proxies(count)

    assert ids(checks.forwarded_headers_and_num_proxies_agree(None)) == expected


def test_local_file_storage_warns_that_a_second_instance_cannot_read_it(settings):
    assert ids(checks.local_files_serve_one_instance_only(None)) == ["keel.W003"]
    settings.STORAGES = {**settings.STORAGES, "default": S3}
    assert checks.local_files_serve_one_instance_only(None) == []


def test_check_deploy_fails_on_public_metrics_and_can_silence_a_warning(settings, proxies):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, ""
    proxies(1)
    with pytest.raises(SystemCheckError, match="keel.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR", "--tag", "security")

    settings.SILENCED_SYSTEM_CHECKS = ["keel.W003"]
    settings.METRICS_ENABLED = False
    call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "compatibility")


def test_through_pgbouncer_a_missing_role_timeout_is_a_warning(settings, monkeypatch):
    from config.management.commands import db_statement_timeout

    settings.DB_POOLER, settings.DB_STATEMENT_TIMEOUT_MS = "pgbouncer", 10_000
    monkeypatch.setattr(db_statement_timeout, "statement_timeout_ms", lambda connection: 0)

    found = checks.statement_timeout_survives_the_pooler(None, databases=["default"])

    assert ids(found) == ["keel.W004"]
    # Only when asked to look at the database (check --database default), and only
    # through the pooler.
    assert checks.statement_timeout_survives_the_pooler(None, databases=None) == []
    settings.DB_POOLER = ""
    assert checks.statement_timeout_survives_the_pooler(None, databases=["default"]) == []
