"""Running GraphQL over HTTP in tests, and reading its answers."""

from typing import Any

GRAPHQL_URL = "/api/graphql/"


def run(client, query: str, variables: dict[str, Any] | None = None, **body: Any):
    """POST one GraphQL request; returns the response."""
    payload = {"query": query, **body}
    if variables is not None:
        payload["variables"] = variables
    return client.post(GRAPHQL_URL, payload, format="json")


def data(response, status: int = 200) -> dict[str, Any]:
    """The response's ``data``, asserting it answered ``status`` without errors."""
    assert response.status_code == status, response.content
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def failures(response) -> list[tuple[str | None, str]]:
    """``(path, extensions.code)`` of every error, the path joined with dots."""
    return [
        (".".join(str(key) for key in error["path"]) if "path" in error else None,
         error["extensions"]["code"])
        for error in response.json()["errors"]
    ]  # fmt: skip


def field_errors(response) -> list[tuple[str, str]]:
    """``(attr, code)`` of every field error of the (only) ``validation_error``."""
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "validation_error", error
    return [(entry["attr"], entry["code"]) for entry in error["extensions"]["errors"]]
