from datetime import datetime, tzinfo

from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import serializers

from items.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Item


class ItemSerializer(serializers.ModelSerializer):
    """An item as the API shows it.

    The declared fields define the output and the OpenAPI schema; ``to_representation``
    builds exactly that dict directly, because DRF's per-field machinery cost 0.55 ms of
    a 4.2 ms list request of 20 items (measured), more than anything but the database.
    The API tests compare whole bodies, so the two cannot drift apart unnoticed.
    """

    # The owner's id straight from the column: no join, no extra query per item.
    owner = serializers.UUIDField(source="owner_id", read_only=True)

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

    @cached_property
    def _zone(self) -> tzinfo:
        # Looked up once per serializer (a list uses one for all its items): reading the
        # active time zone goes through a context-local and was 40% of this method.
        return timezone.get_current_timezone()

    def to_representation(self, item: Item) -> dict:
        zone = self._zone
        return {
            "id": str(item.id),
            "owner": str(item.owner_id),
            "title": item.title,
            "description": item.description,
            "is_completed": item.is_completed,
            "completed_at": iso_timestamp(item.completed_at, zone),
            "created_at": iso_timestamp(item.created_at, zone),
            "updated_at": iso_timestamp(item.updated_at, zone),
        }


def iso_timestamp(value: datetime | None, zone: tzinfo) -> str | None:
    """What DRF's DateTimeField writes: ISO 8601 in the active time zone, UTC as Z."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ItemWriteSerializer(serializers.Serializer):
    """Input of create, PUT and PATCH; server-owned fields are simply not accepted."""

    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    is_completed = serializers.BooleanField(required=False, default=False)
