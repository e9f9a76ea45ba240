"""Every write of the items app: the API, the admin and commands call these.

``seed_demo`` alone bulk-inserts its demo rows directly, for speed (``items/demo.py``).
"""

from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from items.models import Item
from resources.services import (
    resource_create,
    resource_delete,
    resource_for_write,
    resource_update,
)

# What a client (or staff in the admin) may change; anything else in ``data`` is ignored.
WRITABLE_FIELDS = frozenset({"title", "description", "is_completed"})


def item_create(
    *, owner: User, title: str, description: str = "", is_completed: bool = False
) -> Item:
    """One INSERT, atomic on its own (``resource_create``); a second write needs atomic."""
    item = Item(
        owner=owner,
        title=title.strip(),
        description=description,
        is_completed=is_completed,
        completed_at=timezone.now() if is_completed else None,
    )
    return resource_create(item)


@transaction.atomic
def item_update(*, item: Item, data: dict, if_match: tuple[str, ...] | list[str] = ()) -> Item:
    """Apply ``data``; with ``if_match`` tags, refuse (412) if the item changed meanwhile."""
    item = resource_for_write(item, if_match=if_match)
    changes = {field: value for field, value in data.items() if field in WRITABLE_FIELDS}
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    if changes.get("is_completed", item.is_completed) != item.is_completed:
        changes["completed_at"] = timezone.now() if changes["is_completed"] else None
    return resource_update(instance=item, data=changes)


@transaction.atomic
def item_delete(*, item: Item, if_match: tuple[str, ...] | list[str] = ()) -> None:
    resource_delete(instance=resource_for_write(item, if_match=if_match))


@transaction.atomic
def items_mark_completed(*, items: models.QuerySet[Item]) -> int:
    """Mark every not-yet-completed item of the queryset completed; returns how many."""
    now = timezone.now()
    return items.filter(is_completed=False).update(
        is_completed=True, completed_at=now, updated_at=now
    )
