"""Read queries every owned resource shares, and its entity tag."""

import hashlib
from typing import Self

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
