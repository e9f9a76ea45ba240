"""One connection check per idle period, and no failed request when the server closed it.

Each test runs real requests with the production request cycle's connection checks
(the test client turns them off) and counts every statement sent, the check's own
``SELECT 1`` included (``config.db.statements``).
"""

import time

import pytest
from django.db import connection
from django.db.utils import load_backend

from config.db.connection_checks import IdleConnectionChecks
from config.db.statements import StatementsSent, connection_checks_per_request
from config.tests.database_urls import READ_SQL
from config.tests.problems import assert_problem

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="checks PostgreSQL connections"),
    # Autocommit between requests, as in production: a test transaction would be closed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("config.tests.database_urls"),
]

READ = "/api/test/database/read"
READ_IN_TRANSACTION = "/api/test/database/read-in-transaction"
CHECK = "SELECT 1"


@pytest.fixture
def request_cycle(settings):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 30
    with connection_checks_per_request():
        yield


@pytest.fixture
def used_connection(api_client, request_cycle) -> int:
    """A connection one request has just used; its server process id."""
    assert api_client.get(READ).status_code == 200
    return backend_pid()


def backend_pid() -> int:
    return connection.connection.info.backend_pid


def terminate(pid: int) -> None:
    """End the server process of a connection, from another one, as a restart would."""
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            # Waits (up to 5 s) until the process is gone.
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone() == (True,)
    finally:
        other.close()


def test_requests_in_a_row_send_no_connection_check(api_client, used_connection):
    with StatementsSent(connection) as sent:
        answers = [api_client.get(READ).status_code for _ in range(2)]

    assert answers == [200, 200]
    assert sent.sql == [READ_SQL, READ_SQL]


def test_a_connection_idle_past_the_period_is_checked_once(api_client, used_connection, settings):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 0.05
    time.sleep(0.1)

    with StatementsSent(connection) as sent:
        answers = [api_client.get(READ).status_code for _ in range(2)]

    assert answers == [200, 200]
    assert sent.sql == [CHECK, READ_SQL, READ_SQL]
    assert backend_pid() == used_connection


def test_no_idle_period_checks_before_every_request_as_django_does(
    api_client, used_connection, settings
):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 0

    with StatementsSent(connection) as sent:
        answers = [api_client.get(READ).status_code for _ in range(2)]

    assert answers == [200, 200]
    assert sent.sql == [CHECK, READ_SQL, CHECK, READ_SQL]


def test_a_connection_closed_by_the_server_after_idling_is_replaced(
    api_client, used_connection, settings
):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 0.05
    terminate(used_connection)
    time.sleep(0.1)

    with StatementsSent(connection) as sent:
        response = api_client.get(READ)

    assert response.status_code == 200
    # The check failed on the old connection; the request ran on a new one.
    assert sent.sql == [CHECK, READ_SQL]
    assert backend_pid() != used_connection


def test_a_connection_closed_by_the_server_just_after_use_is_replaced(api_client, used_connection):
    terminate(used_connection)

    with StatementsSent(connection) as sent:
        response = api_client.get(READ)

    assert response.status_code == 200
    # The server's goodbye on the socket made the check run, and it failed.
    assert sent.sql == [CHECK, READ_SQL]
    assert backend_pid() != used_connection


def test_a_transaction_first_on_a_connection_closed_just_after_use_succeeds(
    api_client, used_connection
):
    terminate(used_connection)

    with StatementsSent(connection) as sent:
        response = api_client.get(READ_IN_TRANSACTION)

    assert response.status_code == 200
    assert sent.sql == [CHECK, "BEGIN", READ_SQL, "COMMIT"]
    assert backend_pid() != used_connection


def test_a_transaction_first_on_a_live_connection_is_not_checked(api_client, used_connection):
    with StatementsSent(connection) as sent:
        response = api_client.get(READ_IN_TRANSACTION)

    assert response.status_code == 200
    assert sent.sql == ["BEGIN", READ_SQL, "COMMIT"]


def test_a_database_gone_for_good_is_503_database_unavailable(
    api_client, used_connection, monkeypatch
):
    terminate(used_connection)
    # Nothing listens on port 1: reconnecting is refused at once.
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")

    response = api_client.get(READ)

    assert_problem(response, 503, "database_unavailable")
    assert response["Retry-After"] == "2"


def test_metrics_backend_checks_connections_the_same_way_and_counts_them():
    from django_prometheus.db.metrics import connections_total

    backend = load_backend("config.db.postgresql_metrics")
    wrapper = backend.DatabaseWrapper({**connection.settings_dict}, alias="metrics-test")
    opened = connections_total.labels("metrics-test", "postgresql")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute(READ_SQL)
        first_pid = wrapper.connection.info.backend_pid
        terminate(first_pid)
        before = opened._value.get()
        wrapper.close_if_unusable_or_obsolete()  # a request's start

        with wrapper.cursor() as cursor:
            cursor.execute(READ_SQL)

        assert isinstance(wrapper, IdleConnectionChecks)
        assert wrapper.connection.info.backend_pid != first_pid
        assert opened._value.get() == before + 1
    finally:
        wrapper.close()
