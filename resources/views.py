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

from django.utils.http import parse_etags
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from resources.models import entity_tag
from resources.permissions import OwnerOrModelPermission
from resources.schema import ResourceSchema


class ResourceViewSet(viewsets.GenericViewSet):
    """What every action shares; the mixins below add the actions themselves."""

    permission_classes = [IsAuthenticated, OwnerOrModelPermission]
    schema = ResourceSchema()
    input_serializer_class = None

    def get_queryset(self):
        # Another user's object is not found (404), never forbidden: existence does not leak.
        return super().get_queryset().visible_to(self.request.user)

    def get_input_serializer(self, *args, **kwargs):
        return self.input_serializer_class(*args, context=self.get_serializer_context(), **kwargs)

    def validated_input(self, *args, **kwargs) -> dict:
        serializer = self.get_input_serializer(*args, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def if_match(self) -> list[str]:
        """The ``If-Match`` tags of the request, for the service to compare under a lock."""
        return parse_etags(self.request.headers.get("If-Match", ""))

    def instance_response(self, instance, status_code: int = 200, **headers) -> Response:
        body = self.get_serializer(instance).data
        headers.setdefault("ETag", entity_tag(instance))
        return Response(body, status=status_code, headers=headers)


class ResourceCreateMixin:
    def create(self, request, *args, **kwargs):
        instance = self.perform_create(self.validated_input(data=request.data))
        location = self.reverse_action("detail", args=[instance.pk])
        return self.instance_response(instance, status.HTTP_201_CREATED, Location=location)

    def perform_create(self, data: dict):
        """Create through the app's service from the validated ``data``; return the object."""
        raise NotImplementedError


class ResourceRetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        tag = entity_tag(instance)
        tags = parse_etags(request.headers.get("If-None-Match", ""))
        # Weak comparison (RFC 9110 13.1.2): a proxy that compresses may send W/"<tag>".
        if "*" in tags or tag in {candidate.removeprefix("W/") for candidate in tags}:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return self.instance_response(instance, ETag=tag)


class ResourceUpdateMixin:
    def update(self, request, *args, partial: bool = False, **kwargs):
        instance = self.get_object()
        data = self.validated_input(instance, data=request.data, partial=partial)
        return self.instance_response(self.perform_update(instance, data))

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def perform_update(self, instance, data: dict):
        """Update through the app's service, passing ``self.if_match()``; return the object."""
        raise NotImplementedError


class ResourceDestroyMixin:
    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance) -> None:
        """Delete through the app's service, passing ``self.if_match()``."""
        raise NotImplementedError


class OwnedResourceViewSet(
    ResourceCreateMixin,
    ResourceRetrieveMixin,
    ResourceUpdateMixin,
    ResourceDestroyMixin,
    mixins.ListModelMixin,
    ResourceViewSet,
):
    """List, create, retrieve, replace, update and delete an owned resource."""
