from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse

from items import services
from items.filters import ItemFilter
from items.models import Item
from items.permissions import IsOwnerOrHasModelPermission
from items.serializers import ItemSerializer, ItemWriteSerializer

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETag from a previous read; the write is refused with 412 if it is stale.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETag from a previous read; answers 304 if the item has not changed.",
)


@extend_schema_view(
    create=extend_schema(request=ItemWriteSerializer, responses={201: ItemSerializer}),
    retrieve=extend_schema(parameters=[IF_NONE_MATCH], responses={200: ItemSerializer, 304: None}),
    update=extend_schema(
        request=ItemWriteSerializer, parameters=[IF_MATCH], responses={200: ItemSerializer}
    ),
    partial_update=extend_schema(
        request=ItemWriteSerializer, parameters=[IF_MATCH], responses={200: ItemSerializer}
    ),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None}),
)
class ItemViewSet(viewsets.ModelViewSet):
    """Your items; staff with ``items.view_item`` see everyone's and may filter by owner."""

    serializer_class = ItemSerializer
    permission_classes = [IsAuthenticated, IsOwnerOrHasModelPermission]
    filterset_class = ItemFilter

    def get_queryset(self):
        return Item.objects.visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        data = self._validated_input(partial=False)
        item = services.item_create(owner=request.user, **data)
        location = reverse("item-detail", args=[item.pk], request=request)
        return self._item_response(item, status.HTTP_201_CREATED, Location=location)

    def retrieve(self, request, *args, **kwargs):
        item = self.get_object()
        tags = parse_etags(request.headers.get("If-None-Match", ""))
        # Weak comparison (RFC 9110 13.1.2): a proxy that compresses may send W/"<tag>".
        if "*" in tags or item.etag in {tag.removeprefix("W/") for tag in tags}:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": item.etag})
        return self._item_response(item)

    def update(self, request, *args, partial=False, **kwargs):
        item = self.get_object()
        data = self._validated_input(partial=partial)
        item = services.item_update(item=item, data=data, if_match=self._if_match())
        return self._item_response(item)

    def destroy(self, request, *args, **kwargs):
        services.item_delete(item=self.get_object(), if_match=self._if_match())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _validated_input(self, *, partial: bool) -> dict:
        serializer = ItemWriteSerializer(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _if_match(self) -> list[str]:
        return parse_etags(self.request.headers.get("If-Match", ""))

    def _item_response(self, item: Item, status_code: int = 200, **headers) -> Response:
        return Response(
            ItemSerializer(item).data, status=status_code, headers={"ETag": item.etag, **headers}
        )
