"""Every write of the items app. Views, the admin and commands all come through here."""

from collections.abc import Collection

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.exceptions import PreconditionFailed
from items.models import Item

WRITABLE_FIELDS = frozenset({"title", "description", "is_completed"})


def item_create(
    *, owner: User, title: str, description: str = "", is_completed: bool = False
) -> Item:
    # One INSERT is atomic by itself; wrapping it in transaction.atomic would only add
    # BEGIN and COMMIT round trips to the most frequent write. Add the transaction back
    # as soon as a second statement or an on_commit side effect joins it.
    item = Item(
        owner=owner, title=title.strip(), description=description, is_completed=is_completed
    )
    item.completed_at = timezone.now() if is_completed else None
    _validate(item)
    item.save(force_insert=True)
    return item


@transaction.atomic
def item_update(*, item: Item, data: dict, if_match: Collection[str] = ()) -> Item:
    """Apply ``data``; with ``if_match`` tags, refuse (412) if the item changed meanwhile."""
    if if_match:
        item = _lock_unchanged(item, if_match)
    changes = {field: value for field, value in data.items() if field in WRITABLE_FIELDS}
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    if "is_completed" in changes and changes["is_completed"] != item.is_completed:
        item.completed_at = timezone.now() if changes["is_completed"] else None
        changes["completed_at"] = item.completed_at
    for field, value in changes.items():
        setattr(item, field, value)
    _validate(item)
    item.save(update_fields=[*changes, "updated_at"])
    return item


@transaction.atomic
def item_delete(*, item: Item, if_match: Collection[str] = ()) -> None:
    if if_match:
        item = _lock_unchanged(item, if_match)
    item.delete()


@transaction.atomic
def items_mark_completed(*, items) -> int:
    """Mark every not-yet-completed item of the queryset completed; returns how many."""
    now = timezone.now()
    return items.filter(is_completed=False).update(
        is_completed=True, completed_at=now, updated_at=now
    )


@transaction.atomic
def items_delete_for_owner(*, owner: User) -> int:
    """Delete all of a user's items (the account deletion path)."""
    deleted, _ = Item.objects.filter(owner=owner).delete()
    return deleted


def _validate(item: Item) -> None:
    # Field validation only. The owner is the authenticated user (checking the foreign
    # key would cost a query), there are no unique fields, and the check constraints
    # hold by construction here and are enforced by the database as a backstop;
    # validating them in Python would cost one query each on every write.
    item.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)


def _lock_unchanged(item: Item, if_match: Collection[str]) -> Item:
    # Re-read under a row lock so no other writer slips in between the check and
    # the write: the tag compared is the one the write replaces.
    current = Item.objects.select_for_update().get(pk=item.pk)
    if "*" not in if_match and current.etag not in if_match:
        raise PreconditionFailed()
    return current
