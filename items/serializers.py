from rest_framework import serializers

from config.api.serializers import InputSerializer
from items.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Item
from resources.serializers import OwnedResourceSerializer


class ItemSerializer(OwnedResourceSerializer):
    """An item as the API shows it."""

    class Meta:
        model = Item
        fields = [
            "id",
            "owner",
            "title",
            "description",
            "is_completed",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ItemWriteSerializer(InputSerializer):
    """Input of create, PUT and PATCH; server-owned fields are simply not accepted."""

    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    is_completed = serializers.BooleanField(required=False, default=False)
