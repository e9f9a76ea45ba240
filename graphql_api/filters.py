"""``filter`` and ``order`` arguments, applied by the REST lists' own FilterSets.

The arguments are typed GraphQL inputs, but what they mean is decided in one place: they
are handed to ``ItemFilter``/``StoredFileFilter`` as the query string REST would get, so
a filter behaves, and fails, exactly as ``?created_after=...&ordering=-title`` does. A
value the FilterSet refuses is a ``validation_error`` naming the argument's path
(``filter.createdAfter``).
"""

import enum
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

import strawberry
from django.db import models
from django.http import QueryDict
from django_filters import FilterSet
from django_filters.utils import translate_validation
from rest_framework.exceptions import ValidationError
from strawberry.utils.str_converters import to_camel_case


@strawberry.enum(description="Ascending (oldest, smallest, A first) or descending.")
class OrderDirection(enum.Enum):
    ASC = ""
    DESC = "-"


@strawberry.enum(description="What items can be ordered by (REST's `ordering`).")
class ItemOrderField(enum.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    TITLE = "title"


@strawberry.enum(description="What files can be ordered by (REST's `ordering`).")
class FileOrderField(enum.Enum):
    CREATED_AT = "created_at"
    SIZE = "size"
    FILENAME = "filename"


@strawberry.input(description="One ordering key; the first key given sorts first.")
class ItemOrder:
    field: ItemOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="One ordering key; the first key given sorts first.")
class FileOrder:
    field: FileOrderField
    direction: OrderDirection = OrderDirection.ASC


OWNER_FILTER = "Only this user's (narrows what staff see; members see only their own)."


@strawberry.input(description="REST's item filters; every one given must hold.")
class ItemFilter:
    is_completed: bool | None = None
    created_after: datetime | None = strawberry.field(default=None, description="At or after.")
    created_before: datetime | None = strawberry.field(default=None, description="Before.")
    owner: uuid.UUID | None = strawberry.field(default=None, description=OWNER_FILTER)
    search: str | None = strawberry.field(
        default=None, description="Words in the title or description (at most 200 characters)."
    )


@strawberry.input(description="REST's file filters; every one given must hold.")
class FileFilter:
    content_type: str | None = None
    created_after: datetime | None = strawberry.field(default=None, description="At or after.")
    created_before: datetime | None = strawberry.field(default=None, description="Before.")
    owner: uuid.UUID | None = strawberry.field(default=None, description=OWNER_FILTER)
    search: str | None = strawberry.field(
        default=None, description="Words in the filename (at most 200 characters)."
    )


def filtered(
    queryset: models.QuerySet,
    filterset_class: type[FilterSet],
    filters: ItemFilter | FileFilter | None,
    order: list[ItemOrder] | list[FileOrder] | None,
) -> models.QuerySet:
    """``queryset`` narrowed and ordered by the REST FilterSet, from the GraphQL arguments."""
    data = QueryDict(mutable=True)
    for name, value in asdict(filters).items() if filters is not None else ():
        if value is not None:
            data[name] = _as_query_value(value)
    if order:
        data["ordering"] = ",".join(f"{key.direction.value}{key.field.value}" for key in order)
    if not data:
        return queryset
    filterset = filterset_class(data=data, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(_argument_errors(translate_validation(filterset.errors).detail))
    return filterset.qs


def _as_query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _argument_errors(errors: Any) -> dict[str, Any]:
    """The FilterSet's errors at their path: ``created_after`` is ``filter.createdAfter``.

    Only ``filter`` can fail: ``order`` takes enum values, each one a field REST orders by.
    """
    return {"filter": {to_camel_case(name): messages for name, messages in errors.items()}}
