"""The root mutation fields: REST's writes, through the same serializers and services.

Input is validated by the REST input serializer (``ItemWriteSerializer``), so a bad value
fails with REST's ``code`` at its GraphQL path (``input.title``); the write is the app's
service (``item_update``...), never a ``save()`` here. ``ifMatch`` is REST's ``If-Match``:
a stale tag is ``precondition_failed`` and nothing is written.
"""

import uuid
from typing import Any, cast

import strawberry
from django.utils.http import parse_etags
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import Serializer
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from graphql_api.permissions import authorize, writable
from graphql_api.queries import FILES, ITEMS
from graphql_api.types import ItemType
from items import services as item_services
from items.models import Item
from items.serializers import ItemWriteSerializer
from storage import services as file_services
from storage.models import StoredFile

IF_MATCH = strawberry.field(
    default=None,
    description="The `etag` you last read: the write fails with precondition_failed if the "
    "object has changed since (REST's If-Match; `*` matches any version).",
)


@strawberry.input(description="A new item (POST /api/v1/items/).")
class CreateItemInput:
    title: str
    description: str | None = strawberry.UNSET
    is_completed: bool | None = strawberry.UNSET


@strawberry.input(description="Changes to an item (PATCH /api/v1/items/{id}/): only those given.")
class UpdateItemInput:
    id: uuid.UUID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    is_completed: bool | None = strawberry.UNSET
    if_match: str | None = IF_MATCH


@strawberry.input(description="The item to delete (DELETE /api/v1/items/{id}/).")
class DeleteItemInput:
    id: uuid.UUID
    if_match: str | None = IF_MATCH


@strawberry.input(description="The file to delete (DELETE /api/v1/files/{id}/).")
class DeleteFileInput:
    id: uuid.UUID
    if_match: str | None = IF_MATCH


@strawberry.type
class CreateItemPayload:
    item: ItemType


@strawberry.type
class UpdateItemPayload:
    item: ItemType


@strawberry.type
class DeleteItemPayload:
    id: uuid.UUID = strawberry.field(description="The deleted item's id.")


@strawberry.type
class DeleteFilePayload:
    id: uuid.UUID = strawberry.field(description="The deleted file's id.")


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an item of yours.")
    def create_item(self, info: Info, input: CreateItemInput) -> CreateItemPayload | None:  # noqa: A002
        user = authorize(info, f"{ITEMS}:write")
        data = _validated(ItemWriteSerializer(data=_given(input)))
        item = item_services.item_create(owner=user, **data)
        return CreateItemPayload(item=cast(ItemType, item))

    @strawberry.mutation(description="Change an item of yours; staff may read, not change.")
    def update_item(self, info: Info, input: UpdateItemInput) -> UpdateItemPayload | None:  # noqa: A002
        user = authorize(info, f"{ITEMS}:write")
        item = writable(Item.objects.all(), pk=input.id, user=user, action="change")
        changes = _given(input, leave_out=("id", "if_match"))
        data = _validated(ItemWriteSerializer(item, data=changes, partial=True))
        item = item_services.item_update(
            item=cast(Item, item), data=data, if_match=_if_match(input.if_match)
        )
        return UpdateItemPayload(item=cast(ItemType, item))

    @strawberry.mutation(description="Delete an item of yours.")
    def delete_item(self, info: Info, input: DeleteItemInput) -> DeleteItemPayload | None:  # noqa: A002
        user = authorize(info, f"{ITEMS}:write")
        item = writable(Item.objects.all(), pk=input.id, user=user, action="delete")
        item_services.item_delete(item=cast(Item, item), if_match=_if_match(input.if_match))
        return DeleteItemPayload(id=input.id)

    @strawberry.mutation(description="Delete a file of yours, and its bytes once committed.")
    def delete_file(self, info: Info, input: DeleteFileInput) -> DeleteFilePayload | None:  # noqa: A002
        user = authorize(info, f"{FILES}:write")
        stored_file = writable(StoredFile.objects.all(), pk=input.id, user=user, action="delete")
        file_services.file_delete(
            stored_file=cast(StoredFile, stored_file), if_match=_if_match(input.if_match)
        )
        return DeleteFilePayload(id=input.id)


def _given(input: object, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:  # noqa: A002
    """The input's fields the client sent (an explicit null included), by REST's names."""
    return {
        name: value
        for name, value in vars(input).items()
        if value is not strawberry.UNSET and name not in leave_out
    }


def _validated(serializer: Serializer) -> dict[str, Any]:
    if not serializer.is_valid():
        errors = {to_camel_case(name): detail for name, detail in serializer.errors.items()}
        raise ValidationError({"input": errors})
    return dict(serializer.validated_data)


def _if_match(value: str | None) -> list[str]:
    """REST's If-Match parsing; a value that names no tag is refused, not ignored."""
    if value is None:
        return []
    tags = parse_etags(value)
    if not tags:
        raise ValidationError(
            {"input": {"ifMatch": ['Give an entity tag ("..." from `etag`) or *.']}},
            code="invalid",
        )
    return tags
