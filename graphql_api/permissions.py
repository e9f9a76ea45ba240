"""Who may run which field: REST's rules, asked by each root field of the schema.

The request was authenticated by REST's own classes (JWT, API keys) before execution
(``graphql_api.views``); here each root field asks for what the REST endpoint it mirrors
would: a user, and for an API key the scope of the resource (``items:read``,
``files:write``...). Account data (``me``, an object's ``owner``) is out of every key's
reach, as ``/api/v1/auth/`` is.
"""

from dataclasses import dataclass
from typing import Protocol, cast

from django.db import models
from django.http import Http404
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from strawberry.types import Info

from accounts.exceptions import InsufficientScope
from accounts.models import ApiKey, User
from resources.models import OwnedQuerySet
from resources.permissions import may_write

# What staff need to read other users' accounts (REST: GET /api/v1/users/).
READ_ACCOUNTS = "accounts.view_user"


@dataclass(frozen=True)
class GraphQLContext:
    """What every resolver reaches as ``info.context``: the authenticated DRF request."""

    request: Request


class Owned(Protocol):
    @property
    def owner_id(self) -> object: ...


def authorize(info: Info, scope: str | None) -> User:
    """The requesting user, if they may run a field needing ``scope``; raises otherwise.

    ``scope`` is an API key scope (``items:read``); None means account data, which no API
    key may read.
    """
    request = _request(info)
    if not request.user.is_authenticated:
        raise NotAuthenticated()
    if isinstance(request.auth, ApiKey) and (scope is None or not request.auth.allows(scope)):
        raise InsufficientScope()
    return request.user


def writable(queryset: OwnedQuerySet, *, pk: object, user: User, action: str) -> models.Model:
    """The object a mutation changes: not found unless visible, forbidden unless writable.

    REST's order: another user's object is a 404 (``visible_to``), one that is visible but
    not the user's to change (staff reading everyone's) a 403.
    """
    instance = queryset.visible_to(user).filter(pk=pk).first()
    if instance is None:
        raise Http404
    if not may_write(user, instance, action):
        raise PermissionDenied()
    return instance


def readable_owner(info: Info, instance: Owned) -> User | None:
    """``instance``'s owner where the viewer may read that account, else None."""
    request = _request(info)
    if isinstance(request.auth, ApiKey):
        return None
    viewer = cast(User, request.user)
    if instance.owner_id == viewer.pk:
        return viewer
    if viewer.has_perm(READ_ACCOUNTS):
        # Loaded with the rows by ``with_readable_owners``.
        return cast(User, getattr(instance, "owner"))  # noqa: B009
    return None


def with_readable_owners(queryset: models.QuerySet, info: Info) -> models.QuerySet:
    """The owners the viewer may read, joined into the rows (one query for a whole page).

    Members only read their own account, which is the request's user already, so their
    queries stay without a join.
    """
    request = _request(info)
    if isinstance(request.auth, ApiKey) or not request.user.has_perm(READ_ACCOUNTS):
        return queryset
    return queryset.select_related("owner")


def _request(info: Info) -> Request:
    return cast(GraphQLContext, info.context).request
