"""A list's order as sort keys, and the rows after a position in it: keyset pagination.

A page is read as ``WHERE <after the position> ORDER BY <keys> LIMIT n``: the database
seeks to the position in an index that has the keys' order and reads ``n`` rows, however
deep the page is (``OFFSET`` would walk every row before it). The keys end with the
primary key (or another unique, non-null field), so no two rows share a position and a
row is never skipped or repeated between pages.

Nulls sort after every value, before them when descending (PostgreSQL's default, and how
its indexes store them): the ``ORDER BY`` says so explicitly for nullable fields so that
SQLite, which sorts nulls first, agrees.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, Self

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import OrderBy


@dataclass(frozen=True)
class SortKey:
    """One field of the order, ascending or descending."""

    field: models.Field
    descending: bool

    @property
    def spelling(self) -> str:
        """``-created_at`` or ``title``: as ``order_by()`` and ``?ordering=`` spell it."""
        return f"-{self.field.name}" if self.descending else self.field.name

    @property
    def identifies_a_row(self) -> bool:
        return bool(self.field.primary_key or (self.field.unique and not self.field.null))

    def reversed(self) -> "SortKey":
        return SortKey(self.field, not self.descending)

    def order_by(self) -> OrderBy:
        column = F(self.field.name)
        if not self.field.null:
            return column.desc() if self.descending else column.asc()
        return column.desc(nulls_first=True) if self.descending else column.asc(nulls_last=True)

    def beyond(self, value: Any) -> Q | None:
        """Rows whose value comes strictly after ``value``; None if no value does."""
        name = self.field.name
        if value is None:
            return Q(**{f"{name}__isnull": False}) if self.descending else None
        if self.descending:
            return Q(**{f"{name}__lt": value})
        after = Q(**{f"{name}__gt": value})
        return after | Q(**{f"{name}__isnull": True}) if self.field.null else after

    def equal(self, value: Any) -> Q:
        name = self.field.name
        return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})

    def bound(self, value: Any) -> Q | None:
        """What every row at or after ``value`` satisfies, in a form an index can seek with.

        It repeats what the full condition implies; PostgreSQL uses it as the start of
        its index range scan instead of filtering every row from the start of the range.
        """
        name = self.field.name
        if value is None:
            return None if self.descending else Q(**{f"{name}__isnull": True})
        if self.descending:
            return Q(**{f"{name}__lte": value})
        return None if self.field.null else Q(**{f"{name}__gte": value})


@dataclass(frozen=True)
class KeysetOrdering:
    """The order a list's queryset asks for, tie-broken so that it identifies each row.

    ``scope`` names fields every row of the list has the same value of (the owner of a
    member's list: ``OwnedQuerySet.index_scope``). They go first in the ``ORDER BY`` when
    the model has an index led by them in the keys' order (either way), so that
    PostgreSQL reads the page from that index; they take no part in the keys.
    """

    keys: tuple[SortKey, ...]
    scope: tuple[str, ...] = ()

    @classmethod
    def of(cls, queryset: models.QuerySet) -> Self:
        """The queryset's ``order_by()``, else its model's ``Meta.ordering``, then the id."""
        model = queryset.model
        keys = tuple(_sort_key(model, spelling) for spelling in _ordering_of(queryset))
        if not any(key.identifies_a_row for key in keys):
            descending = keys[-1].descending if keys else False
            # The id goes the way of the last key, so one index (…, field, id) serves the
            # order both ways: PostgreSQL reads a B-tree backwards as fast as forwards.
            keys = (*keys, SortKey(model._meta.pk, descending))
        return cls(keys, scope=tuple(getattr(queryset, "index_scope", ())))

    @property
    def spelling(self) -> list[str]:
        return [key.spelling for key in self.keys]

    def reversed(self) -> "KeysetOrdering":
        return KeysetOrdering(tuple(key.reversed() for key in self.keys), scope=self.scope)

    def ordered(self, queryset: models.QuerySet) -> models.QuerySet:
        keys = [key.order_by() for key in self.keys]
        return queryset.order_by(*self._scope_order(queryset.model), *keys)

    def _scope_order(self, model: type[models.Model]) -> list[OrderBy]:
        """The scope's fields, each the way an index led by them reads in the keys' order
        (an index read backwards serves the opposite order): none without such an index."""
        if not self.scope:
            return []
        spelled = [key.spelling for key in self.keys]
        flipped = [key.reversed().spelling for key in self.keys]
        for index in model._meta.indexes:
            fields = list(index.fields)
            if fields == [*self.scope, *spelled]:
                return [F(name).asc() for name in self.scope]
            if fields == [*self.scope, *flipped]:
                return [F(name).desc() for name in self.scope]
        return []

    def position_of(self, row: models.Model) -> list[str | None]:
        """Where ``row`` stands in the order, as strings (JSON, for a cursor)."""
        return [
            None if key.field.value_from_object(row) is None else key.field.value_to_string(row)
            for key in self.keys
        ]

    def parse_position(self, position: list[str | None]) -> list[Any]:
        """The values of ``position_of``; ``ValidationError`` if they are not the fields'."""
        if len(position) != len(self.keys):
            raise ValueError("a position has one value per sort key")
        return [
            None if value is None else key.field.to_python(value)
            for key, value in zip(self.keys, position, strict=True)
        ]

    def rows_after(self, queryset: models.QuerySet, values: list[Any]) -> models.QuerySet:
        """The rows strictly after ``values`` (from ``parse_position``) in this order.

        The row-value comparison ``(a, b, id) > (x, y, z)``, spelled out key by key as
        ``a > x OR (a = x AND b > y) OR (a = x AND b = y AND id > z)`` because each key
        may go its own way and nulls need their own terms.
        """
        terms = []
        equal_so_far = Q()
        for key, value in zip(self.keys, values, strict=True):
            if (beyond := key.beyond(value)) is not None:
                terms.append(equal_so_far & beyond)
            equal_so_far &= key.equal(value)
        if not terms:
            return queryset.none()
        after = reduce(or_, terms)
        bound = self.keys[0].bound(values[0])
        return queryset.filter(after if bound is None else bound & after)


def _ordering_of(queryset: models.QuerySet) -> list[str]:
    query = queryset.query
    if query.order_by:
        asked = list(query.order_by)
    elif query.default_ordering:
        asked = list(query.get_meta().ordering or [])
    else:
        asked = []
    spellings = []
    for spelling in asked:
        if not isinstance(spelling, str) or spelling == "?":
            raise ImproperlyConfigured(
                f"A cursor-paginated list orders by field names, not {spelling!r}."
            )
        spellings.append(spelling)
    return spellings


def _sort_key(model: type[models.Model], spelling: str) -> SortKey:
    name = spelling.removeprefix("-")
    try:
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist as error:
        raise ImproperlyConfigured(
            f"A cursor-paginated list orders by {model.__name__}'s own fields, not {name!r}."
        ) from error
    if not isinstance(field, models.Field) or field.is_relation:
        raise ImproperlyConfigured(
            f"A cursor-paginated list orders by {model.__name__}'s columns, not {name!r}."
        )
    return SortKey(field, spelling.startswith("-"))
