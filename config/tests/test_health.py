import pytest
from django.db import connection

from config.ops import health, instance

pytestmark = pytest.mark.django_db


def test_live_needs_nothing_and_answers_ok(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_each_check_with_timing(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"database", "cache"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["ms"] >= 0


def test_ready_is_503_when_a_critical_check_fails(client, monkeypatch):
    monkeypatch.setitem(health.READY_CHECKS, "broken", (failing_check, True))
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broken"] == {**body["checks"]["broken"], "status": "error"}
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_is_200_degraded_when_a_shared_service_fails(client, monkeypatch):
    monkeypatch.setattr(health, "READY_CHECKS", dict(health.READY_CHECKS))
    health.add_ready_check("broken", failing_check)
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert (body["checks"]["broken"]["status"], body["checks"]["broken"]["critical"]) == (
        "error",
        False,
    )


def test_ready_is_200_degraded_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.ops.cache.RedisCache",
            # Nothing listens on port 1; the connection is refused at once.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    response = client.get("/health/ready")
    # Every instance shares Redis: its outage must not pull them all out at once.
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"]["status"] == "error"


def test_ready_is_503_when_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "error"


def test_health_endpoints_reject_other_methods(client):
    assert client.post("/health/live").status_code == 405


def failing_check() -> None:
    raise ConnectionError("down")


def test_probes_answer_whatever_host_and_scheme_the_prober_uses(client, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    live = client.get("/health/live", HTTP_HOST="10.1.2.3:8000")
    ready = client.get("/health/ready", HTTP_HOST="127.0.0.1:8000")
    assert (live.status_code, ready.status_code) == (200, 200)


def test_api_request_with_a_disallowed_host_is_a_problem_not_html(client, settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    response = client.get("/api/v1/items/", HTTP_HOST="evil.example.org")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "bad_request"


@pytest.fixture
def joined_instance(monkeypatch, tmp_path):
    """This process as a worker of a gunicorn instance, as config/gunicorn.py makes it."""
    monkeypatch.setattr(instance.tempfile, "gettempdir", lambda: str(tmp_path))
    instance.join(4242, storage_slots=1)
    yield 4242
    instance.leave()


def test_ready_is_503_draining_once_the_instance_was_told_to_stop(client, joined_instance):
    assert client.get("/health/ready").status_code == 200

    instance.start_draining(joined_instance)
    ready, live = client.get("/health/ready"), client.get("/health/live")

    assert ready.status_code == 503
    assert ready.json() == {"status": "draining", "checks": {}}
    assert live.status_code == 200  # still serving: only the load balancer is told


def test_a_draining_mark_of_another_instance_is_not_this_ones(client, joined_instance):
    instance.start_draining(joined_instance + 1)

    assert client.get("/health/ready").status_code == 200
