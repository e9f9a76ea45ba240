from typing import cast

from accounts.models import User
from items import services
from items.filters import ItemFilter
from items.models import Item
from items.serializers import ItemSerializer, ItemWriteSerializer
from resources.views import OwnedResourceViewSet


class ItemViewSet(OwnedResourceViewSet):
    """Your items; staff with ``items.view_item`` see everyone's and may filter by owner."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    input_serializer_class = ItemWriteSerializer
    filterset_class = ItemFilter
    api_scope = "items"
    cache_responses = True

    def perform_create(self, data):
        # IsAuthenticated has let the request in: its user is a User, not AnonymousUser.
        return services.item_create(owner=cast(User, self.request.user), **data)

    def perform_update(self, instance, data):
        return services.item_update(item=instance, data=data, if_match=self.if_match())

    def perform_destroy(self, instance):
        services.item_delete(item=instance, if_match=self.if_match())
