"""Read queries every owned resource shares, and its entity tag."""

import hashlib
from typing import Any, Self

from django.contrib.auth.models import AnonymousUser
from django.db import models

from accounts.models import User


class EqualsAny(models.Lookup):
    """``owner__any=[a]``: the rows of ``owner = a``, written ``owner_id = ANY('{a}')``.

    The same rows, but PostgreSQL no longer takes the column for a constant, so it keeps
    ``owner_id`` at the head of an ``ORDER BY``: only an index led by the owner can then
    hand the rows over in order, never one over every owner's rows (see
    ``OwnedQuerySet.visible_to``).
    """

    lookup_name = "any"
    prepare_rhs = False  # a list of values, each prepared below

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params, values = self._sides(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params, values = self._sides(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, values)

    def _sides(self, compiler: Any, connection: Any) -> tuple[str, Any, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        return lhs, lhs_params, [field.get_db_prep_value(value, connection) for value in self.rhs]


models.ForeignKey.register_lookup(EqualsAny)


class OwnedQuerySet(models.QuerySet):
    """The QuerySet of a model with an ``owner`` foreign key to the user."""

    # Fields every row has the same value of, which the model's indexes lead with: a
    # keyset list orders by them first (config.api.keyset), so that PostgreSQL reads it
    # from those indexes.
    index_scope: tuple[str, ...] = ()

    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Rows the user may read: their own, or all with the model's view permission.

        A member's rows are listed in an order PostgreSQL can only read from an index led
        by the owner (``EqualsAny``, ``index_scope``). With ``owner = a`` it may prefer an
        index over every owner's rows when the member holds most of the table: it then
        filters out every newer row of the other owners first (38 ms instead of 0.05
        for an owner of a million rows among 1.1 million, measured).
        """
        if not user.is_authenticated:
            return self.none()
        if user.has_perm(model_permission(self.model, "view")):
            return self
        return self.owned_by(user.pk)

    def owned_by(self, owner_id: Any) -> Self:
        """The rows of one owner: what ``visible_to`` shows a member."""
        scoped = self.filter(owner__any=[owner_id])
        scoped.index_scope = ("owner",)
        return scoped

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]  # Django's, untyped in the stubs
        clone.index_scope = self.index_scope
        return clone

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
