"""Read queries every owned resource shares, and its entity tag."""

import hashlib
from typing import Any, Self

from django.contrib.auth.models import AnonymousUser
from django.db import models

from accounts.models import User


class OwnedQuerySet(models.QuerySet):
    """The QuerySet of a model with an ``owner`` foreign key to the user."""

    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Rows the user may read: their own, or all with the model's view permission."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm(model_permission(self.model, "view")):
            return self
        return self.filter(owner=user)

    # These write rows without sending signals: they tell the response cache themselves.

    def update(self, **fields: Any) -> int:
        owners = set(self.values_list("owner_id", flat=True))
        updated = super().update(**fields)
        new_owner = fields.get("owner_id", getattr(fields.get("owner"), "pk", None))
        _owners_changed(self.model, owners | {new_owner} - {None})
        return updated

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list:
        created = super().bulk_create(objs, *args, **kwargs)
        _owners_changed(self.model, {getattr(obj, "owner_id", None) for obj in created} - {None})
        return created

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        objs = list(objs)
        rows = self.filter(pk__in=[obj.pk for obj in objs])
        owners = set(rows.values_list("owner_id", flat=True))
        updated = super().bulk_update(objs, fields, batch_size=batch_size)
        _owners_changed(
            self.model, owners | {getattr(obj, "owner_id", None) for obj in objs} - {None}
        )
        return updated


def _owners_changed(model: type[models.Model], owner_ids: set) -> None:
    from resources.response_cache import owners_changed  # it imports the cache settings

    owners_changed(model, owner_ids)


def model_permission(model: type[models.Model], action: str) -> str:
    """``"items.view_item"``: the permission Django creates for ``action`` on ``model``."""
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def entity_tag(instance: models.Model) -> str:
    """A strong ETag over every stored column: any write that changes a value changes it.

    Derived from the row, not from a version counter, so it needs no column of its own
    and holds whichever path (API, admin, a command) wrote the row.
    """
    digest = hashlib.blake2b(digest_size=16)
    for field in instance._meta.concrete_fields:
        digest.update(f"{field.attname}={field.value_to_string(instance)};".encode())
    return f'"{digest.hexdigest()}"'
