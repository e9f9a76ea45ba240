"""Assertions and shortcuts shared by the items tests."""

from datetime import datetime

from items.models import Item

PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors", "request_id"}

ITEMS_URL = "/api/v1/items/"


def item_url(item: Item | str) -> str:
    pk = item.pk if isinstance(item, Item) else item
    return f"{ITEMS_URL}{pk}/"


def iso(moment: datetime | None) -> str | None:
    """A datetime as the API writes it (UTC, ``Z`` suffix)."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["request_id"] == response["X-Request-ID"]
    return body


def error_fields(body: dict) -> list[tuple[str | None, str]]:
    """The ``(attr, code)`` pairs of a validation problem."""
    return [(error["attr"], error["code"]) for error in body["errors"]]


def stored(item: Item) -> dict:
    """Every column of the item as the database holds it now."""
    row = Item.objects.filter(pk=item.pk).values().first()
    assert row is not None, "the item is gone"
    return row


def result_ids(response) -> list[str]:
    return [result["id"] for result in response.json()["results"]]
