"""A queryset's SQL compiled once per process, for the lookups every request makes.

Building a QuerySet's filters and compiling them to SQL costs more Python than running
the statement on PostgreSQL: on the benchmark machine, a retrieve spent a fifth of its
time in ``filter()`` and ``as_sql()`` (issue 15). For the few lookups every request
makes, ``precompile`` builds the queryset once with a marker value in place of each
value the request brings (a user id, a primary key), finds where each marker landed
among the compiled parameters, and keeps the SQL. ``PrecompiledQuery.raw`` then runs it
with the request's values in those places: the same statement the ORM would have sent.

Markers are values no row holds (a UUID with the top bit set, a date in 1901) and each
is distinct, so a parameter equal to one was built from it: every such parameter is
filled with the request's value (a keyset's ``created_at`` is compared three times). A
marker that lands in no parameter (folded into the SQL) refuses the queryset
(``NotPrecompilable``), and so does a field with no such value (a boolean): its callers
then run it through the ORM. So a parameter is never filled with a value meant for
another one, nor a constant of the query replaced.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models.query import RawQuerySet


class NotPrecompilable(Exception):
    """The queryset cannot be run from its SQL alone: run it through the ORM."""


@dataclass(frozen=True)
class _Slot:
    position: int  # among the statement's parameters
    name: str
    in_list: bool  # ``= ANY(%s)`` takes a list of one value (resources.models.EqualsAny)


@dataclass(frozen=True)
class PrecompiledQuery:
    model: type[models.Model]
    alias: str
    sql: str
    params: tuple[Any, ...]
    slots: tuple[_Slot, ...]
    fields: dict[str, models.Field]

    def raw(self, **values: Any) -> RawQuerySet:
        """The rows for these values (one per name given to ``precompile``).

        Raises ``ValidationError`` (or ``TypeError``, ``ValueError``) for a value its field
        cannot take, as the ORM's lookup would.
        """
        params = self.params_for(**values)
        return self.model._default_manager.db_manager(self.alias).raw(self.sql, params)

    def params_for(self, **values: Any) -> list[Any]:
        params = list(self.params)
        for slot in self.slots:
            value = _db_value(self.fields[slot.name], values[slot.name], self.alias)
            params[slot.position] = [value] if slot.in_list else value
        return params


def precompile(
    build: Callable[..., models.QuerySet], alias: str, **fields: models.Field
) -> PrecompiledQuery:
    """``build(**markers)``'s SQL on ``alias``, with a slot for each of ``fields``: the
    field each value is compared with (a primary key, a foreign key's target)."""
    markers = {name: _marker(field, n) for n, (name, field) in enumerate(fields.items(), 1)}
    queryset = build(**markers).using(alias)
    if queryset.query.select_related or queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
        raise NotPrecompilable("raw() reads one model's rows: no related rows, no prefetch")
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet as error:  # a filter no row can pass: queryset.none()
        raise NotPrecompilable("the queryset selects nothing") from error
    slots = tuple(
        slot
        for name, marker in markers.items()
        for slot in _slots_of(name, _db_value(fields[name], marker, alias), params)
    )
    return PrecompiledQuery(queryset.model, alias, sql, tuple(params), slots, dict(fields))


def _slots_of(name: str, value: Any, params: tuple[Any, ...]) -> list[_Slot]:
    found = [
        _Slot(position, name, in_list=param == [value])
        for position, param in enumerate(params)
        if param == value or param == [value]
    ]
    if not found:
        raise NotPrecompilable(f"the marker for {name} is none of the parameters")
    return found


def _marker(field: models.Field, n: int) -> Any:
    if isinstance(field, models.UUIDField):
        return uuid.UUID(int=(1 << 127) + n)
    if isinstance(field, models.IntegerField):  # and the auto fields
        return -(1 << 62) - n
    if isinstance(field, models.DateTimeField):
        return datetime(1901, 1, 1, microsecond=n, tzinfo=UTC)
    if isinstance(field, models.DateField):
        return date(1901, 1, 1) + timedelta(days=n)
    if isinstance(field, models.CharField | models.TextField):
        return f"keel-marker-{uuid.uuid4().hex}-{n}"
    raise NotPrecompilable(f"no marker value for a {type(field).__name__}")


def _db_value(field: models.Field, value: Any, alias: str) -> Any:
    return field.get_db_prep_value(field.to_python(value), connections[alias])
