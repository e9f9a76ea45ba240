"""The GraphQL object types and scalars: users, items and files, read straight from the models.

Each type has the fields of the REST serializer of its resource (``UserSerializer``,
``ItemSerializer``, ``StoredFileSerializer``), camel-cased. REST's ``owner`` (the owner's
id) is ``ownerId``; ``owner`` is the owner's account, where the viewer may read it; ``etag``
is what REST sends as the ``ETag`` header, for a mutation's ``ifMatch``.

Resolvers return model instances where these types are declared (``graphql_type=``):
strawberry reads each field as an attribute of the instance.
"""

import enum
import uuid
from datetime import datetime
from typing import NewType, TypeVar

import strawberry
from django.utils import timezone
from graphql import GraphQLError
from strawberry.types import Info
from strawberry.types.scalar import ScalarDefinition

from accounts.models import User
from graphql_api.permissions import readable_owner
from items.models import Item
from resources.models import entity_tag
from resources.serializers import iso_timestamp
from storage.models import StoredFile

BigInt = NewType("BigInt", int)
Model = TypeVar("Model")


def _moment_from_text(value: object) -> datetime:
    # A GraphQLError, not a ValueError: the client's mistake, never a server error.
    if not isinstance(value, str):
        raise GraphQLError(f"DateTime cannot represent {value!r}: give an ISO 8601 string.")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise GraphQLError(f"DateTime cannot represent {value!r}: not ISO 8601.") from None


SCALARS: dict[object, ScalarDefinition] = {
    # What REST writes (ISO 8601 in the active time zone, UTC as Z), not Python's isoformat.
    datetime: strawberry.scalar(
        name="DateTime",
        description=(
            "A moment in ISO 8601, as the REST API writes it (2026-01-31T12:00:00Z); "
            "one without an offset is in the server's time zone."
        ),
        serialize=lambda value: iso_timestamp(value, timezone.get_current_timezone()),
        parse_value=_moment_from_text,
    ),
    # GraphQL's Int has 32 bits, fewer than a file's size may need. Output only.
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A whole number that may not fit in 32 bits, as a JSON number.",
        serialize=int,
    ),
}


@strawberry.type(name="User", description="An account, as GET /api/v1/auth/me/ shows it.")
class UserType:
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    email_verified: bool
    date_joined: datetime


OWNER_DESCRIPTION = (
    "The owner's account: yours, or anyone's for staff who may read users; null otherwise, "
    "and always through an API key (account data is out of every key's reach)."
)


@strawberry.type(name="Item", description="An item, as GET /api/v1/items/{id}/ shows it.")
class ItemType:
    id: uuid.UUID
    owner_id: uuid.UUID = strawberry.field(description="The owner's id (REST's `owner`).")
    title: str
    description: str
    is_completed: bool
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description=OWNER_DESCRIPTION, graphql_type=UserType | None)
    def owner(self, info: Info) -> User | None:
        # strawberry hands the resolved object as ``self``: an Item, not an ItemType.
        return readable_owner(info, _as_model(self, Item))

    @strawberry.field(description="The entity tag REST sends as ETag, for `ifMatch`.")
    def etag(self) -> str:
        return entity_tag(_as_model(self, Item))


@strawberry.enum(description="A file's state; only active files are ever listed.")
class FileStatus(enum.Enum):
    PENDING = StoredFile.Status.PENDING.value
    ACTIVE = StoredFile.Status.ACTIVE.value


@strawberry.type(
    name="File", description="A file's metadata, as GET /api/v1/files/{id}/ shows it."
)
class FileType:
    id: uuid.UUID
    owner_id: uuid.UUID = strawberry.field(description="The owner's id (REST's `owner`).")
    filename: str
    size: BigInt = strawberry.field(description="Bytes.")
    content_type: str
    sha256: str = strawberry.field(description="Empty for a direct-to-bucket upload.")
    status: FileStatus
    created_at: datetime

    @strawberry.field(description=OWNER_DESCRIPTION, graphql_type=UserType | None)
    def owner(self, info: Info) -> User | None:
        return readable_owner(info, _as_model(self, StoredFile))

    @strawberry.field(description="The entity tag REST sends as ETag, for `ifMatch`.")
    def etag(self) -> str:
        return entity_tag(_as_model(self, StoredFile))


def _as_model(source: object, model: type[Model]) -> Model:
    assert isinstance(source, model), f"resolved a {type(source).__name__}, not a {model}"
    return source
