"""Assertions on problem documents, shared by every app's tests."""

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors", "request_id"}


def assert_problem(response, status: int, code: str) -> dict:
    """The response is an RFC 9457 problem with this status and code; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["request_id"] == response["X-Request-ID"]
    return body


def error_pairs(body: dict) -> list[tuple[str | None, str]]:
    """The ``(attr, code)`` of every entry of a problem's ``errors``."""
    return [(error["attr"], error["code"]) for error in body["errors"]]
