"""Writes every owned resource shares; an app's services call these inside their own."""

from collections.abc import Collection, Mapping
from typing import Any, TypeVar, cast

from django.db import models
from django.http import Http404

from config.api.exceptions import PreconditionFailed
from resources.events import announce_after_commit, resource_announce, resource_announcement
from resources.models import entity_tag
from resources.response_cache import owners_changed

Model = TypeVar("Model", bound=models.Model)


def resource_validate(instance: models.Model) -> None:
    """``full_clean``, minus the checks that cost a query each and cannot fail here.

    Skipped: the owner's existence (the server sets it to the authenticated user, or the
    admin picks it from the users), the uniqueness of a fresh UUID primary key, and
    check constraints, which restate what the services guarantee and which the database
    enforces as a backstop. A rule a client can break belongs in the serializer or the
    model's ``clean()``. Unique fields and unique constraints are still validated, so a
    copy that adds one answers 400, not a database error.
    """
    instance.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
    instance.validate_unique(exclude=[instance._meta.pk.name])
    for constraint in instance._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            constraint.validate(type(instance), instance)


def resource_create(instance: Model) -> Model:
    """Validate ``instance`` and INSERT it: one statement, so atomic on its own.

    A service that only creates its row needs no ``transaction.atomic`` around this:
    in autocommit the INSERT is its own transaction, and an atomic block would add
    BEGIN and COMMIT round trips to the most frequent write (2 -> 4 statements per
    create request, measured). A service that writes anything besides the row (another
    row, an ``on_commit`` side effect) decorates itself with ``transaction.atomic`` as
    usual, and this INSERT joins that transaction.

    Every write here is announced once it commits (``resources.events``).
    """
    resource_validate(instance)
    instance.save(force_insert=True)
    resource_announce(instance, "created")
    return instance


def resource_for_write(instance: Model, *, if_match: Collection[str] = ()) -> Model:
    """The row a conditional write applies to; 412 if it no longer matches ``if_match``.

    With ``If-Match`` tags the row is re-read under a lock inside the caller's
    transaction, so the tag compared is the one the write replaces, and a row deleted
    meanwhile is a 404 for the loser of that race. Without tags there is nothing to
    compare and ``instance`` is returned as it is (``resource_update`` and
    ``resource_delete`` still turn a lost race into a 404).
    """
    if not if_match:
        return instance
    current = type(instance)._base_manager.select_for_update().filter(pk=instance.pk).first()
    if current is None:
        raise Http404
    if "*" not in if_match and entity_tag(current) not in if_match:
        raise PreconditionFailed()
    return current


def resource_update(*, instance: Model, data: Mapping[str, Any]) -> Model:
    """Set ``data`` on ``instance``, validate, and write exactly those columns.

    Fields with ``auto_now`` (``updated_at``) are written too. A row deleted by a
    concurrent request is a 404, not an error.
    """
    for name, value in data.items():
        setattr(instance, name, value)
    resource_validate(instance)
    meta = instance._meta
    auto_now = [field for field in meta.concrete_fields if getattr(field, "auto_now", False)]
    for field in auto_now:
        field.pre_save(instance, add=False)
    # ``data`` names the model's own fields, never a reverse relation.
    fields = [cast(models.Field, meta.get_field(name)) for name in data] + auto_now
    values = {field.attname: getattr(instance, field.attname) for field in fields}
    if not type(instance)._base_manager.filter(pk=instance.pk).update(**values):
        raise Http404
    # An UPDATE sends no signal: the owner's kept responses are told here.
    owners_changed(type(instance), [instance.owner_id])  # type: ignore[attr-defined]
    resource_announce(instance, "updated")
    return instance


def resource_delete(*, instance: models.Model) -> None:
    """Delete the row; one that a concurrent request deleted first is a 404."""
    # Shown as it is before the deletion, which clears its primary key.
    announcement = resource_announcement(instance, "deleted")
    _, deleted = instance.delete()
    if not deleted.get(instance._meta.label):
        raise Http404
    announce_after_commit(announcement)
