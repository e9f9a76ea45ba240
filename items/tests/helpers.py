"""Assertions and shortcuts shared by the items tests."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.utils import timezone
from model_bakery import baker

from config.tests.helpers import iso
from config.tests.problems import PROBLEM, PROBLEM_KEYS, assert_problem, error_pairs  # noqa: F401
from items.models import Item

ITEMS_URL = "/api/v1/items/"
LONG_AGO = timezone.now() - timedelta(days=30)


def item_url(item: Item | str) -> str:
    pk = item.pk if isinstance(item, Item) else item
    return f"{ITEMS_URL}{pk}/"


def item_body(item: Item) -> dict:
    """The whole API representation of the item as stored now."""
    item.refresh_from_db()
    return {
        "id": str(item.pk),
        "owner": str(item.owner_id),
        "title": item.title,
        "description": item.description,
        "is_completed": item.is_completed,
        "completed_at": iso(item.completed_at),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
    }


def completed_item(owner, **fields) -> Item:
    """An item of the owner's, completed ``LONG_AGO``."""
    return baker.make(
        "items.Item", owner=owner, is_completed=True, completed_at=LONG_AGO, **fields
    )


def stored(item: Item) -> Mapping[str, Any]:
    """Every column of the item as the database holds it now."""
    row = Item.objects.filter(pk=item.pk).values().first()
    assert row is not None, "the item is gone"
    return row
