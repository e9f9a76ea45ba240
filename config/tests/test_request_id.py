import json
import logging
import socket

import pytest

from config.ops.logging import ConsoleFormatter, JsonFormatter, RequestContextFilter

pytestmark = pytest.mark.django_db


def test_response_carries_generated_request_id(client):
    response = client.get("/health/live")
    assert len(response["X-Request-ID"]) == 32


def test_sane_incoming_request_id_is_echoed(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="trace-abc.123:4")
    assert response["X-Request-ID"] == "trace-abc.123:4"


@pytest.mark.parametrize("unsafe", ["has space", "new\nline", "<script>", "x" * 129, "ümlaut", ""])
def test_unsafe_incoming_request_id_is_replaced(client, unsafe):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=unsafe)
    assert response["X-Request-ID"] != unsafe
    assert len(response["X-Request-ID"]) == 32


def test_access_log_line_has_method_path_status_duration_user_and_request_id(
    auth_client, user, caplog
):
    caplog.set_level(logging.INFO, logger="keel.access")
    response = auth_client.get("/api/v1/nothing/", HTTP_X_REQUEST_ID="req-42")
    [record] = [r for r in caplog.records if r.name == "keel.access"]
    assert record.method == "GET"
    assert record.path == "/api/v1/nothing/"
    assert record.status == response.status_code == 404
    assert record.duration_ms >= 0
    assert record.request_id == "req-42"


def test_access_log_line_names_the_client_and_the_instance_that_answered(client, caplog):
    caplog.set_level(logging.INFO, logger="keel.access")
    client.get("/health/live", REMOTE_ADDR="192.0.2.10")
    [record] = [r for r in caplog.records if r.name == "keel.access"]
    assert record.client_ip == "192.0.2.10"
    assert record.instance == socket.gethostname()


def test_access_log_behind_a_proxy_names_the_client_it_forwarded(client, caplog, monkeypatch):
    from rest_framework.settings import api_settings

    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1)
    caplog.set_level(logging.INFO, logger="keel.access")
    client.get(
        "/health/live", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.4"
    )
    [record] = [r for r in caplog.records if r.name == "keel.access"]
    # One trusted proxy: the last hop it appended, never what the client wrote before it.
    assert record.client_ip == "198.51.100.4"


@pytest.mark.urls("config.tests.urls")
def test_log_lines_of_authenticated_request_carry_user_id(auth_client, user, caplog):
    caplog.set_level(logging.INFO, logger="keel.access")
    auth_client.get("/api/test/protected")
    [record] = [r for r in caplog.records if r.name == "keel.access"]
    assert record.user_id == str(user.pk)


def _record(**extra) -> logging.LogRecord:
    record = logging.LogRecord(
        "keel.test", logging.INFO, __file__, 1, "hello %s", ("world",), None
    )
    for key, value in extra.items():
        setattr(record, key, value)
    RequestContextFilter().filter(record)
    return record


def test_json_formatter_writes_one_object_with_context_and_extras():
    line = JsonFormatter().format(_record(status=200))
    entry = json.loads(line)
    assert entry["event"] == "hello world"
    assert entry["level"] == "info"
    assert entry["logger"] == "keel.test"
    assert entry["status"] == 200
    assert {"timestamp", "request_id", "user_id"} <= set(entry)


def test_console_formatter_is_readable():
    line = ConsoleFormatter().format(_record(status=200))
    assert "INFO" in line
    assert "hello world" in line
    assert "status=200" in line
