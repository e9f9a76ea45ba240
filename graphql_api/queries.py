"""The root query fields: ``me``, ``items``/``item`` and ``files``/``file``.

Every list starts from the model's ``visible_to(user)``, as the REST viewsets do, so
another user's object is not found: ``item(id:)`` is null and no page holds it.
"""

import uuid

import strawberry
from django.db import models
from strawberry.types import Info

from accounts.models import User
from graphql_api.filters import FileFilter, FileOrder, ItemFilter, ItemOrder, filtered
from graphql_api.pagination import PAGE_ARGUMENTS_DESCRIPTION, Connection, paginate
from graphql_api.permissions import authorize, with_readable_owners
from graphql_api.types import FileType, ItemType, UserType
from items.filters import ItemFilter as ItemFilterSet
from items.models import Item
from storage.filters import StoredFileFilter
from storage.models import StoredFile

# The API key scopes of the resources (their REST viewsets' ``api_scope``).
ITEMS, FILES = "items", "files"


@strawberry.type
class Query:
    @strawberry.field(
        description="Your account (GET /api/v1/auth/me/); not for API keys.",
        graphql_type=UserType | None,
    )
    def me(self, info: Info) -> User:
        return authorize(info, scope=None)

    @strawberry.field(
        description=f"Your items; everyone's for staff. {PAGE_ARGUMENTS_DESCRIPTION}",
        graphql_type=Connection[ItemType] | None,
    )
    def items(
        self,
        info: Info,
        filter: ItemFilter | None = None,  # noqa: A002 - the argument's name in the schema
        order: list[ItemOrder] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection:
        user = authorize(info, f"{ITEMS}:read")
        queryset = filtered(Item.objects.visible_to(user), ItemFilterSet, filter, order)
        queryset = with_readable_owners(queryset, info)
        return paginate(queryset, first=first, after=after, last=last, before=before)

    @strawberry.field(
        description="One of your items (everyone's for staff); null if there is none.",
        graphql_type=ItemType | None,
    )
    def item(self, info: Info, id: uuid.UUID) -> Item | None:  # noqa: A002
        user = authorize(info, f"{ITEMS}:read")
        return _visible(Item.objects.visible_to(user), id, info)

    @strawberry.field(
        description=f"Your files; everyone's for staff. {PAGE_ARGUMENTS_DESCRIPTION}",
        graphql_type=Connection[FileType] | None,
    )
    def files(
        self,
        info: Info,
        filter: FileFilter | None = None,  # noqa: A002
        order: list[FileOrder] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection:
        user = authorize(info, f"{FILES}:read")
        queryset = filtered(StoredFile.objects.visible_to(user), StoredFileFilter, filter, order)
        queryset = with_readable_owners(queryset, info)
        return paginate(queryset, first=first, after=after, last=last, before=before)

    @strawberry.field(
        description="One of your files (everyone's for staff); null if there is none.",
        graphql_type=FileType | None,
    )
    def file(self, info: Info, id: uuid.UUID) -> StoredFile | None:  # noqa: A002
        user = authorize(info, f"{FILES}:read")
        return _visible(StoredFile.objects.visible_to(user), id, info)


def _visible(queryset: models.QuerySet, pk: uuid.UUID, info: Info):
    return with_readable_owners(queryset, info).filter(pk=pk).first()
