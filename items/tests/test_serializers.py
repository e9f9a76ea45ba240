import pytest
from django.utils import timezone
from model_bakery import baker
from rest_framework import serializers

from items.models import Item
from items.serializers import ItemSerializer

pytestmark = pytest.mark.django_db


class DeclaredFieldsItemSerializer(ItemSerializer):
    """The same declared fields, rendered by DRF's own machinery."""

    to_representation = serializers.ModelSerializer.to_representation


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
@pytest.mark.parametrize("completed", [True, False])
def test_item_serializer_fast_path_equals_drfs_rendering(user, zone, completed):
    completed_at = timezone.now() if completed else None
    item = baker.make(Item, owner=user, is_completed=completed, completed_at=completed_at)
    with timezone.override(zone):
        assert ItemSerializer(item).data == DeclaredFieldsItemSerializer(item).data
        assert ItemSerializer([item, item], many=True).data == (
            DeclaredFieldsItemSerializer([item, item], many=True).data
        )
