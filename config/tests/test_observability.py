import json
import subprocess
import sys
from pathlib import Path

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

pytestmark = [pytest.mark.django_db, pytest.mark.urls("config.tests.urls")]

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8", "10.0.0.0/8"]
    return settings


def test_metrics_are_404_when_disabled(client, settings):
    settings.METRICS_ENABLED = False
    assert client.get("/metrics").status_code == 404


def test_metrics_answer_an_internal_client_in_prometheus_format(client, metrics_on):
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"# TYPE" in response.content


def test_metrics_refuse_a_public_client(client, metrics_on):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403


def test_metrics_with_a_token_need_that_bearer_token(client, metrics_on):
    metrics_on.METRICS_TOKEN = "scrape-token-123"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", REMOTE_ADDR="127.0.0.1")
    assert wrong.status_code == 403
    right = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-123", REMOTE_ADDR="203.0.113.9"
    )
    assert right.status_code == 200


def test_metrics_enabled_settings_wire_middleware_and_instrumented_backends():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.MIDDLEWARE[0]); print(s.MIDDLEWARE[-1]); "
        "print(s.DATABASES['default']['ENGINE']); print(s.CACHES['default']['BACKEND'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "METRICS_ENABLED": "true",
            "REDIS_URL": "redis://x:6379/0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "django_prometheus.middleware.PrometheusAfterMiddleware",
        "django_prometheus.db.backends.sqlite3",
        "config.ops.metrics.InstrumentedRedisCache",
    ]


def test_instrumented_redis_cache_counts_hits_and_misses(settings):
    from django_prometheus.cache.metrics import django_cache_hits_total, django_cache_misses_total

    from config.ops.metrics import InstrumentedRedisCache

    configured = settings.CACHES["default"]
    if not configured["BACKEND"].endswith("RedisCache"):
        pytest.skip("runs in the PostgreSQL + Redis pass (REDIS_URL)")
    cache = InstrumentedRedisCache(configured["LOCATION"], {"KEY_PREFIX": "metrics-test"})
    hits = django_cache_hits_total.labels(backend="redis")._value.get()
    misses = django_cache_misses_total.labels(backend="redis")._value.get()
    cache.set("k", 0)
    assert cache.get("k") == 0
    assert cache.get("absent", "fallback") == "fallback"
    assert django_cache_hits_total.labels(backend="redis")._value.get() == hits + 1
    assert django_cache_misses_total.labels(backend="redis")._value.get() == misses + 1
    cache.delete("k")


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event"
        ]


def test_sentry_receives_crashes_tagged_with_the_request_id(api_client, settings):
    from sentry_sdk.integrations.django import DjangoIntegration

    transport = CapturingTransport()
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=transport,
        integrations=[DjangoIntegration()],
        default_integrations=False,
    )
    settings.SENTRY_DSN = "https://public@sentry.invalid/1"
    try:
        response = api_client.get("/api/test/plain-crash")
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    assert response.status_code == 500
    events = transport.events()
    assert events
    assert events[0]["tags"]["request_id"] == response["X-Request-ID"]
    assert "user" not in events[0] or "email" not in events[0].get("user", {})


def test_sentry_events_carry_no_body_cookie_credential_or_query(api_client, settings):
    from config.ops.sentry import init_sentry

    init_sentry(
        dsn="https://public@sentry.invalid/1", environment="test", release="", traces_sample_rate=0
    )
    transport = CapturingTransport()
    sentry_sdk.get_client().transport = transport
    settings.SENTRY_DSN = "https://public@sentry.invalid/1"
    try:
        response = api_client.post(
            "/api/test/plain-crash?email=ann%40example.com",
            '{"email": "ann@example.com", "password": "hunter2 hunter2"}',
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer secret-token",
            HTTP_COOKIE="sessionid=secret-session",
        )
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    assert response.status_code == 500
    events = transport.events()
    assert len(events) == 1
    sent = json.dumps(events[0])
    for personal in (
        "ann@example.com",
        "ann%40example.com",
        "hunter2",
        "secret-token",
        "secret-session",
    ):
        assert personal not in sent
    assert events[0]["tags"]["request_id"] == response["X-Request-ID"]
