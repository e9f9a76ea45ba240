"""A backing service down or too slow is a 503 with Retry-After, never a 500 (issue 11)."""

import logging
import time
from datetime import timedelta

import pytest
import redis
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.tasks import send_templated_email
from config.api.exceptions import CacheUnavailable
from config.ops import dependencies
from config.ops.dependencies import DEPENDENCY_ERRORS, CircuitBreaker
from config.ops.tasks import tasks_reclaim_stale
from config.tests.problems import assert_problem

pytestmark = pytest.mark.django_db

REDIS_DOWN = {
    "default": {
        "BACKEND": "config.ops.cache.RedisCache",
        # Nothing listens on port 1: every connection is refused at once.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }
}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = REDIS_DOWN


def errors_counted(dependency: str) -> float:
    return DEPENDENCY_ERRORS.labels(dependency)._value.get()


# --- Redis down: the API stays up --------------------------------------------------------


def test_authenticated_reads_and_writes_are_served_while_redis_is_down(auth_client, redis_down):
    created = auth_client.post("/api/v1/items/", {"title": "Written"}, format="json")
    listed = auth_client.get("/api/v1/items/")

    assert created.status_code == 201
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [created.json()["id"]]


def test_anonymous_schema_is_served_while_redis_is_down(api_client, redis_down):
    assert api_client.get("/api/schema/").status_code == 200


def test_login_is_still_throttled_per_process_while_redis_is_down(
    api_client, user, redis_down, throttle_rates
):
    throttle_rates(login_ip="2/min", login_account="100/min")
    body = {"email": user.email, "password": "wrong password"}
    answers = [api_client.post("/api/v1/auth/login/", body).status_code for _ in range(3)]

    assert answers == [401, 401, 429]


def test_a_dead_redis_is_skipped_after_a_few_failures(auth_client, redis_down):
    started = time.monotonic()
    for _ in range(20):
        assert auth_client.get("/api/v1/items/").status_code == 200
    # Refused connections are fast here; the breaker makes them free: 3 tries, not 20.
    assert dependencies.cache_breaker.is_open
    assert time.monotonic() - started < 5


# --- the circuit breaker -----------------------------------------------------------------


def test_a_service_that_hangs_opens_the_breaker_at_the_first_timeout():
    import botocore.exceptions

    from config.api.exceptions import StorageUnavailable

    calls = []

    def hanging():
        calls.append(1)
        raise botocore.exceptions.ReadTimeoutError(endpoint_url="http://s3")

    for _ in range(3):
        with pytest.raises(StorageUnavailable):
            dependencies.storage_breaker.call(hanging)

    assert len(calls) == 1  # one timeout paid, then refused at once
    assert dependencies.storage_breaker.is_open


def test_breaker_opens_after_the_threshold_and_probes_again_after_the_cooldown(monkeypatch):
    breaker = CircuitBreaker(
        "cache", errors=(redis.ConnectionError,), unavailable=CacheUnavailable, threshold=2
    )
    calls = []

    def failing():
        calls.append(1)
        raise redis.ConnectionError("refused")

    for _ in range(4):
        with pytest.raises(CacheUnavailable):
            breaker.call(failing)
    assert len(calls) == 2  # the last two were refused without calling

    later = time.monotonic() + breaker.cooldown + 1
    monkeypatch.setattr(dependencies.time, "monotonic", lambda: later)
    assert breaker.call(lambda: "answers") == "answers"
    assert not breaker.is_open


def test_breaker_lets_other_errors_through_untouched():
    breaker = CircuitBreaker(
        "cache", errors=(redis.ConnectionError,), unavailable=CacheUnavailable
    )

    with pytest.raises(KeyError):
        breaker.call(lambda: {}["missing"])
    assert not breaker.is_open


# --- the database down -------------------------------------------------------------------


@pytest.fixture
def database_refusing(monkeypatch):
    def refuse(self, sql, params=None):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)


def test_api_request_while_the_database_is_down_is_503_with_retry_after(
    auth_client, caplog, database_refusing
):
    before = errors_counted("database")
    with caplog.at_level(logging.WARNING):
        response = auth_client.get("/api/v1/items/")

    body = assert_problem(response, 503, "database_unavailable")
    assert body["detail"]
    assert response["Retry-After"] == "2"
    assert errors_counted("database") == before + 1
    warnings = [r for r in caplog.records if r.name == "keel.dependencies"]
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.urls("config.tests.urls")
def test_plain_django_view_with_the_database_down_is_503_not_500(api_client, caplog):
    with caplog.at_level(logging.WARNING):
        response = api_client.get("/api/test/plain-database-down")

    assert_problem(response, 503, "database_unavailable")
    assert response["Retry-After"] == "2"
    # One warning line, no traceback from django.request.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- tasks a dead worker left running ----------------------------------------------------


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_task_left_running_past_the_lease_is_queued_again(database_tasks):
    email = {"template": "verify_email", "variables": {}}
    result = send_templated_email.enqueue(to="a@example.com", **email)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    fresh = send_templated_email.enqueue(to="b@example.com", **email)
    DBTaskResult.objects.filter(pk=fresh.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )

    assert tasks_reclaim_stale(lease_seconds=600) == 1

    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=fresh.id).status == TaskResultStatus.RUNNING


def reconnecting_worker(*, batch: bool):
    from config.management.commands import db_worker

    return db_worker.ReconnectingWorker(
        queue_names=["default"],
        interval=0,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )


def test_db_worker_survives_a_database_error_and_carries_on(monkeypatch, database_tasks):
    from config.management.commands import db_worker

    runs = []

    def run_once_failing(self):
        runs.append(1)
        if len(runs) == 1:
            raise OperationalError("the database system is shutting down")
        self.running = False

    closed, pauses = [], []
    monkeypatch.setattr(db_worker.db_worker.Worker, "run", run_once_failing)
    monkeypatch.setattr(db_worker, "tasks_reclaim_stale", lambda: 0)
    # The test's own connection holds its transaction: count the closing, do not do it.
    monkeypatch.setattr(db_worker.connections, "close_all", lambda: closed.append(1))
    monkeypatch.setattr(db_worker.time, "sleep", pauses.append)
    worker = reconnecting_worker(batch=False)

    worker.run()

    assert (len(runs), len(closed), pauses) == (2, 1, [1.0])


def test_reclaim_stale_tasks_command_reports_what_it_queued_again(database_tasks):
    from io import StringIO

    from django.core.management import call_command

    result = send_templated_email.enqueue(
        to="a@example.com", template="verify_email", variables={}
    )
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    out = StringIO()

    call_command("reclaim_stale_tasks", "--lease", "60", stdout=out)

    assert "Reclaimed 1 stale task(s)." in out.getvalue()
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY


def test_db_worker_command_is_the_reconnecting_one():
    from django.core.management import get_commands

    assert get_commands()["db_worker"] == "config"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_worker_reclaims_what_a_dead_worker_left_running(database_tasks):
    from config.management.commands.db_worker import StaleTaskReaper

    result = send_templated_email.enqueue(
        to="a@example.com", template="verify_email", variables={}
    )
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    reaper = StaleTaskReaper(every=0.05)
    reaper.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY:
                break
            time.sleep(0.05)
    finally:
        reaper.stopped.set()
        reaper.join(timeout=5)

    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY
    assert not reaper.is_alive()


def test_the_reaper_checks_every_half_lease_and_at_least_once_a_minute(settings):
    from config.management.commands.db_worker import reaper_interval

    settings.TASK_LEASE_SECONDS = 8
    assert reaper_interval() == 4
    settings.TASK_LEASE_SECONDS = 600
    assert reaper_interval() == 60


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_finishing_while_the_database_restarts_is_recorded_once_it_is_back(
    monkeypatch, database_tasks, mailoutbox
):
    from config.management.commands import db_worker

    result = send_templated_email.enqueue(
        to="a@example.com", template="verify_email", variables={}
    )
    task_row = DBTaskResult.objects.get(pk=result.id)
    task_row.claim("test-worker")
    real_save, failures = DBTaskResult.save, []

    def save_failing_while_down(self, *args, **kwargs):
        # The outcome's first writes meet the restart (more than the library's own retries).
        if self.status == TaskResultStatus.SUCCESSFUL and len(failures) < 5:
            failures.append(1)
            raise OperationalError("the database system is shutting down")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(DBTaskResult, "save", save_failing_while_down)
    monkeypatch.setattr(db_worker.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(db_worker.connections, "close_all", lambda: None)
    worker = reconnecting_worker(batch=True)

    worker.run_task(task_row)

    assert len(failures) == 5
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL
    assert len(mailoutbox) == 1
