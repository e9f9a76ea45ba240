"""Assertions and shortcuts shared by the items tests."""

from datetime import datetime

from config.tests.problems import PROBLEM, PROBLEM_KEYS, assert_problem, error_pairs  # noqa: F401
from items.models import Item

ITEMS_URL = "/api/v1/items/"


def item_url(item: Item | str) -> str:
    pk = item.pk if isinstance(item, Item) else item
    return f"{ITEMS_URL}{pk}/"


def iso(moment: datetime | None) -> str | None:
    """A datetime as the API writes it (UTC, ``Z`` suffix)."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def stored(item: Item) -> dict:
    """Every column of the item as the database holds it now."""
    row = Item.objects.filter(pk=item.pk).values().first()
    assert row is not None, "the item is gone"
    return row


def result_ids(response) -> list[str]:
    return [result["id"] for result in response.json()["results"]]
