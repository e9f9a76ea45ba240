"""A queryset's SQL compiled once per process, for the lookups every request makes.

Building a QuerySet's filters and compiling them to SQL costs more Python than running
the statement on PostgreSQL: on the benchmark machine, a retrieve spent a fifth of its
time in ``filter()`` and ``as_sql()`` (issue 15). For the few lookups every request
makes, ``precompile`` builds the queryset once with a marker value in place of each
value the request brings (a user id, a primary key), finds where each marker landed
among the compiled parameters, and keeps the SQL. ``PrecompiledQuery.rows`` then runs it
with the request's values in those places: the same statement the ORM would have sent,
its rows made into instances as ``QuerySet.raw`` would make them.

Markers are values no row holds (a UUID with the top bit set, a date in 1901) and each
is distinct, so a parameter equal to one was built from it: every such parameter is
filled with the request's value (a keyset's ``created_at`` is compared three times). A
marker that lands in no parameter (folded into the SQL) refuses the queryset
(``NotPrecompilable``), and so does a field with no such value (a boolean): its callers
then run it through the ORM. So a parameter is never filled with a value meant for
another one, nor a constant of the query replaced.
"""

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models


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

    # How this statement's rows become instances, worked out at its first rows (its
    # columns are the same every time).
    _reading: "list[_RowReading]" = dataclasses.field(
        default_factory=list, compare=False, repr=False
    )

    def rows(self, **values: Any) -> list[models.Model]:
        """The instances for these values (one per name given to ``precompile``).

        Raises ``ValidationError`` (or ``TypeError``, ``ValueError``) for a value its field
        cannot take, as the ORM's lookup would.
        """
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params_for(**values))
            fetched = cursor.fetchall()
            if not self._reading:
                self._reading.append(_RowReading.of(self.model, cursor.description, connection))
        return self._reading[0].instances(fetched, self.alias)

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
        raise NotPrecompilable("rows() makes one model's instances: no related rows, no prefetch")
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


@dataclass(frozen=True)
class _RowReading:
    """What ``QuerySet.raw`` works out on every call to make its rows instances (the
    fields' order, their database converters, the annotations), worked out once.

    A member's lookup of one item on PostgreSQL took 0.27 ms of CPU through ``raw()``
    and 0.19 ms this way; a page of 21, 1.0 ms and 0.87 ms (in-process, measured).
    """

    model: type[models.Model]
    init_names: tuple[str, ...]  # the model's fields, in its order, as from_db takes them
    init_positions: tuple[int, ...]
    annotations: tuple[tuple[str, int], ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]

    @classmethod
    def of(cls, model: type[models.Model], description: Any, connection: Any) -> "_RowReading":
        # RawQuerySet.resolve_model_init_order and RawModelIterable, for these columns.
        to_name = connection.introspection.identifier_converter
        columns = [to_name(column[0]) for column in description]
        fields = {field.column: field for field in model._meta.concrete_fields}
        positions = {column: position for position, column in enumerate(columns)}
        init = [field for field in model._meta.concrete_fields if field.column in positions]
        compiler = connection.ops.compiler("SQLCompiler")(None, connection, None)
        converters = compiler.get_converters(
            [
                fields[column].get_col(model._meta.db_table) if column in fields else None
                for column in columns
            ]
        )
        return cls(
            model=model,
            init_names=tuple(field.attname for field in init),
            init_positions=tuple(positions[field.column] for field in init),
            annotations=tuple(
                (column, position)
                for column, position in positions.items()
                if column not in fields
            ),
            converters=tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in converters.items()
            ),
        )

    def instances(self, rows: list[tuple[Any, ...]], alias: str) -> list[models.Model]:
        connection = connections[alias]
        made = []
        for row in rows:
            values = list(row)
            for position, functions, expression in self.converters:
                for convert in functions:
                    values[position] = convert(values[position], expression, connection)
            instance = self.model.from_db(
                alias, self.init_names, [values[position] for position in self.init_positions]
            )
            for name, position in self.annotations:
                setattr(instance, name, values[position])
            made.append(instance)
        return made
