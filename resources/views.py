"""The viewset base of owned resources: scoping, the permission rule, ETags, services.

An app's viewset names its queryset, serializers and FilterSet, and implements the
``perform_*`` hooks by calling its services::

    class NoteViewSet(OwnedResourceViewSet):
        queryset = Note.objects.all()
        serializer_class = NoteSerializer            # output
        input_serializer_class = NoteWriteSerializer  # create, PUT, PATCH bodies
        filterset_class = NoteFilter

        def perform_create(self, data):
            return services.note_create(owner=self.request.user, **data)
"""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, router
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.http import parse_etags
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.utils import encoders

from accounts.api_keys import register_api_scope
from accounts.models import User
from accounts.permissions import ApiKeyScope
from config.api.pagination import PageSource
from config.db.precompiled import NotPrecompilable, PrecompiledQuery, precompile
from config.ops import replicas
from resources import response_cache
from resources.models import OwnedQuerySet, entity_tag, model_permission
from resources.permissions import OwnerOrModelPermission
from resources.schema import ResourceSchema


class ResourceViewSet(viewsets.GenericViewSet):
    """What every action shares; the mixins below add the actions themselves.

    ``api_scope`` names the resource for API keys (its route: ``items``, ``files``): a key
    with ``<api_scope>:read`` may read it, ``<api_scope>:write`` change it too.
    """

    permission_classes = [IsAuthenticated, ApiKeyScope, OwnerOrModelPermission]
    schema = ResourceSchema()
    input_serializer_class: type[BaseSerializer] | None = None
    api_scope: str | None = None
    # Members' list pages and objects served from Redis (resources.response_cache).
    cache_responses = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.api_scope:
            register_api_scope(cls.api_scope)

    def get_queryset(self) -> OwnedQuerySet:
        # The model of an owned resource has an OwnedQuerySet (its manager's).
        queryset = cast(OwnedQuerySet, super().get_queryset())
        # Another user's object is not found (404), never forbidden: existence does not leak.
        return queryset.visible_to(self.request.user)

    def get_object(self) -> Any:
        """The URL's object; for a member's read, through SQL compiled once per process
        (``config.db.precompiled``): the ORM's own statement, without building it."""
        lookup = self._member_lookup()
        if lookup is None:
            return super().get_object()
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        try:
            found = lookup.rows(owner=self.request.user.pk, value=value)
        except (TypeError, ValueError, ValidationError):
            raise Http404 from None  # a malformed id, as DRF's get_object_or_404 answers
        if not found:
            raise Http404
        self.check_object_permissions(self.request, found[0])
        return found[0]

    def page_source(self) -> PageSource | None:
        """A member's list, for its pages' SQL compiled once (``CursorPagination``)."""
        if not self._reads_as_member:
            return None
        queryset: OwnedQuerySet = type(self).queryset  # type: ignore[assignment]
        return PageSource(
            key=type(self),
            alias=router.db_for_read(self._model()),
            build=lambda owner: _visible_to_member(queryset, owner),
            values={"owner": self.request.user.pk},
            fields={"owner": _owner_key(self._model())},
        )

    def _member_lookup(self) -> PrecompiledQuery | None:
        if not self._reads_as_member:
            return None
        return _member_lookup(type(self), router.db_for_read(self._model()))

    @cached_property
    def _reads_as_member(self) -> bool:
        """Whether the request reads ``queryset.visible_to(user)`` and nothing else, so that
        SQL compiled once from that is the ORM's: a member reading, this class's scoping,
        no filter asked for. Worked out once per request (a view serves one), since a
        filter asked for builds a FilterSet to tell."""
        queryset: models.QuerySet = type(self).queryset  # type: ignore[assignment]
        user = self.request.user
        return (
            self.request.method in ("GET", "HEAD")
            and type(self).get_queryset is ResourceViewSet.get_queryset
            and user.is_authenticated
            and not user.has_perm(model_permission(self._model(), "view"))
            # No filter backend changes it (?is_completed=, ?ordering=).
            and self.filter_queryset(queryset) is queryset
        )

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer:
        assert self.input_serializer_class is not None, (
            f"{type(self).__name__} should set input_serializer_class"
        )
        return self.input_serializer_class(*args, context=self.get_serializer_context(), **kwargs)

    def validated_input(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        serializer = self.get_input_serializer(*args, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def if_match(self) -> list[str]:
        """The ``If-Match`` tags of the request, for the service to compare under a lock."""
        return parse_etags(self.request.headers.get("If-Match", ""))

    def instance_response(
        self, instance: models.Model, status_code: int = 200, **headers: str
    ) -> Response:
        body = self.get_serializer(instance).data
        headers.setdefault("ETag", entity_tag(instance))
        return Response(body, status=status_code, headers=headers)

    # --- response caching and conditional reads ------------------------------------------

    def preflight_keys(self, request: Request, user_id: Any) -> list[str]:
        """Read with the request's authentication, in its one round trip to Redis."""
        if not self.cache_responses or self.action not in _CACHED_ACTIONS:
            return []
        return response_cache.preflight_keys(request, self._model(), user_id)

    def conditional_response(self, compute: Callable[[], Response]) -> Response:
        """``compute()``'s answer, kept for members when the viewset caches its responses,
        and a 304 when ``If-None-Match`` names its ETag."""
        if not self._cacheable():
            return _not_modified_or(_with_etag(compute()), self.request)
        lookup = response_cache.Lookup(self.request, self._model())
        hit = lookup.hit()
        if hit is not None:
            return _not_modified_or(
                Response(hit["data"], headers={"ETag": hit["etag"]}), self.request
            )
        lookup.ensure_generation()
        response = _with_etag(compute())
        # A page read from a replica may lag behind the generation read before it.
        if response.status_code == status.HTTP_200_OK and replicas.reads_from_primary():
            lookup.keep(response.data, response["ETag"])
        return _not_modified_or(response, self.request)

    def _cacheable(self) -> bool:
        user = self.request.user
        return (
            self.cache_responses
            and settings.RESPONSE_CACHE_SECONDS > 0
            and self.request.method == "GET"
            and user.is_authenticated
            # Staff read everyone's rows: never kept under one owner.
            and not user.has_perm(model_permission(self._model(), "view"))
        )

    def _model(self) -> type[models.Model]:
        # The class attribute every resource sets; django-stubs reads it as a descriptor.
        queryset: models.QuerySet = type(self).queryset  # type: ignore[assignment]
        return queryset.model


class _ResourceAction:
    """The base of the mixins below, which are only ever combined with a ResourceViewSet."""

    if TYPE_CHECKING:
        # What the actions use of that viewset.
        def conditional_response(self, compute: Callable[[], Response]) -> Response: ...
        def get_object(self) -> Any: ...
        def reverse_action(self, url_name: str, *args: Any, **kwargs: Any) -> str: ...
        def validated_input(self, *args: Any, **kwargs: Any) -> dict[str, Any]: ...
        def instance_response(
            self, instance: models.Model, status_code: int = 200, **headers: str
        ) -> Response: ...


class ResourceCreateMixin(_ResourceAction):
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.perform_create(self.validated_input(data=request.data))
        location = self.reverse_action("detail", args=[instance.pk])
        return self.instance_response(instance, status.HTTP_201_CREATED, Location=location)

    def perform_create(self, data: dict[str, Any]) -> models.Model:
        """Create through the app's service from the validated ``data``; return the object."""
        raise NotImplementedError


class ResourceRetrieveMixin(_ResourceAction):
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.conditional_response(lambda: self.instance_response(self.get_object()))


class ResourceListMixin(_ResourceAction, mixins.ListModelMixin):
    if TYPE_CHECKING:
        # What the list uses of the viewset (GenericAPIView's, and ResourceViewSet's).
        paginator: Any

        def page_source(self) -> PageSource | None: ...
        def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer: ...
        def get_paginated_response(self, data: Any) -> Response: ...
        def get_queryset(self) -> OwnedQuerySet: ...
        def filter_queryset(self, queryset: models.QuerySet) -> models.QuerySet: ...

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.conditional_response(lambda: self._list_page(request))

    def _list_page(self, request: Request) -> Response:
        """DRF's list; a member's page read from its page source, its queryset built only
        if the paginator needs it."""
        source = self.page_source()
        paginate_source = getattr(self.paginator, "paginate_source", None)
        if source is None or paginate_source is None:
            return super().list(request)
        page = paginate_source(source, request, lambda: self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ResourceUpdateMixin(_ResourceAction):
    def update(
        self, request: Request, *args: Any, partial: bool = False, **kwargs: Any
    ) -> Response:
        instance = self.get_object()
        data = self.validated_input(instance, data=request.data, partial=partial)
        return self.instance_response(self.perform_update(instance, data))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def perform_update(self, instance: Any, data: dict[str, Any]) -> models.Model:
        """Update through the app's service, passing ``self.if_match()``; return the object."""
        raise NotImplementedError


class ResourceDestroyMixin(_ResourceAction):
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance: Any) -> None:
        """Delete through the app's service, passing ``self.if_match()``."""
        raise NotImplementedError


class OwnedResourceViewSet(
    ResourceCreateMixin,
    ResourceRetrieveMixin,
    ResourceUpdateMixin,
    ResourceDestroyMixin,
    ResourceListMixin,
    ResourceViewSet,
):
    """List, create, retrieve, replace, update and delete an owned resource."""


_CACHED_ACTIONS = frozenset({"list", "retrieve"})


class _Member:
    """A member whose id is a marker: what ``visible_to`` scopes by, for SQL compiled once.

    It answers only what every request compiled from it shares: it is authenticated,
    and lacks the model's view permission (``_reads_as_member``). A ``visible_to`` that
    asks more of the user (another permission, an attribute) makes its reads the ORM's.
    """

    is_authenticated = True

    def __init__(self, pk: Any, view_permission: str):
        self.pk = pk
        self.view_permission = view_permission

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if perm != self.view_permission or obj is not None:
            raise NotPrecompilable(f"visible_to asks for {perm}, which members may hold")
        return False


def _visible_to_member(queryset: OwnedQuerySet, owner: Any) -> OwnedQuerySet:
    """The rows a member whose id is ``owner`` reads, as the resource's queryset scopes
    them (a ``visible_to`` of its own may narrow them further: active files only)."""
    member = _Member(owner, model_permission(queryset.model, "view"))
    try:
        return queryset.all().visible_to(cast(User, member))
    except AttributeError as error:
        raise NotPrecompilable("visible_to reads more of the user than its id") from error


def _owner_key(model: type[models.Model]) -> models.Field:
    """The field an owner's id is compared with: the user's primary key."""
    return model._meta.get_field("owner").target_field  # type: ignore[union-attr]


@functools.cache
def _member_lookup(viewset: type[ResourceViewSet], alias: str) -> PrecompiledQuery | None:
    """``viewset``'s ``get_object()`` for a member, as SQL; None where it cannot be."""
    queryset: OwnedQuerySet = viewset.queryset  # type: ignore[assignment]
    meta = queryset.model._meta
    field = meta.pk if viewset.lookup_field == "pk" else meta.get_field(viewset.lookup_field)
    if not (field.primary_key or field.unique):
        return None  # the ORM's get() would tell two rows apart (MultipleObjectsReturned)
    try:
        return precompile(
            lambda owner, value: (
                _visible_to_member(queryset, owner)
                .filter(**{viewset.lookup_field: value})
                # As QuerySet.get() does: no ORDER BY for a lookup of one row.
                .order_by()
            ),
            alias,
            owner=_owner_key(queryset.model),
            value=field,
        )
    except NotPrecompilable:
        return None


def _with_etag(response: Response) -> Response:
    """A 200 without an ETag (a list page) gets one over its body."""
    if response.status_code == status.HTTP_200_OK and not response.has_header("ETag"):
        response["ETag"] = body_tag(response.data)
    return response


def body_tag(data: Any) -> str:
    """A strong ETag over a response body: the same rows in the same order, the same tag."""
    rendered = json.dumps(data, cls=encoders.JSONEncoder, sort_keys=True, ensure_ascii=False)
    return f'"{hashlib.blake2b(rendered.encode(), digest_size=16).hexdigest()}"'


def _not_modified_or(response: Response, request: Request) -> Response:
    tag = response.get("ETag") if response.status_code == status.HTTP_200_OK else None
    tags = parse_etags(request.headers.get("If-None-Match", ""))
    # Weak comparison (RFC 9110 13.1.2): a proxy that compresses may send W/"<tag>".
    if tag and ("*" in tags or tag in {candidate.removeprefix("W/") for candidate in tags}):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
    return response
