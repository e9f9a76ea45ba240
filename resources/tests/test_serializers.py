"""OwnedResourceSerializer's fast output equals DRF's own rendering, field for field."""

import pytest
from django.utils import timezone
from model_bakery import baker
from rest_framework import serializers

from items.serializers import ItemSerializer
from resources.serializers import OwnedResourceSerializer
from storage.serializers import StoredFileSerializer
from storage.tests.helpers import stored_file_make

pytestmark = pytest.mark.django_db


def rendered_by_drf(
    serializer_class: type[OwnedResourceSerializer],
) -> type[OwnedResourceSerializer]:
    """The same declared fields, rendered by DRF's per-field machinery."""
    return type(
        f"DRF{serializer_class.__name__}",
        (serializer_class,),
        {"to_representation": serializers.ModelSerializer.to_representation},
    )


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
@pytest.mark.parametrize("completed", [True, False])
def test_item_output_equals_drfs_rendering(user, zone, completed):
    completed_at = timezone.now() if completed else None
    item = baker.make("items.Item", owner=user, is_completed=completed, completed_at=completed_at)
    with timezone.override(zone):
        assert ItemSerializer(item).data == rendered_by_drf(ItemSerializer)(item).data
        assert ItemSerializer([item, item], many=True).data == (
            rendered_by_drf(ItemSerializer)([item, item], many=True).data
        )


def test_file_output_with_a_choice_field_equals_drfs_rendering(user):
    stored_file = stored_file_make(user)

    assert StoredFileSerializer(stored_file).data == (
        rendered_by_drf(StoredFileSerializer)(stored_file).data
    )


class CustomFieldsItemSerializer(OwnedResourceSerializer):
    """Fields the fast path must hand to DRF: a method, a formatted date, a hex UUID."""

    caption = serializers.SerializerMethodField()
    day = serializers.DateTimeField(source="created_at", format="%Y-%m-%d")
    hex_id = serializers.UUIDField(source="id", format="hex")
    owner_email = serializers.CharField(source="owner.email")

    class Meta:
        model = ItemSerializer.Meta.model
        fields = ["id", "owner", "caption", "day", "hex_id", "owner_email"]

    def get_caption(self, item) -> str:
        return f"<{item.title}>"


def test_output_of_fields_drf_must_render_still_equals_drfs_rendering(user):
    item = baker.make("items.Item", owner=user, title="Milk")

    fast = CustomFieldsItemSerializer(item).data

    assert fast == rendered_by_drf(CustomFieldsItemSerializer)(item).data
    assert fast["caption"] == "<Milk>"
    assert fast["hex_id"] == item.id.hex
