from django.conf import settings
from rest_framework import serializers

from resources.serializers import OwnedResourceSerializer
from storage.models import StoredFile


class StoredFileSerializer(OwnedResourceSerializer):
    """A file's metadata as the API shows it (the bytes come from ``download``)."""

    class Meta:
        model = StoredFile
        fields = [
            "id",
            "owner",
            "filename",
            "size",
            "content_type",
            "sha256",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class ShareLinkCreateSerializer(serializers.Serializer):
    expires_in = serializers.IntegerField(
        min_value=60,
        default=3600,
        help_text="Seconds the link works; at most FILES_LINK_MAX_EXPIRY_SECONDS (7 days).",
    )

    def validate_expires_in(self, value: int) -> int:
        # Read here, not in the field declaration, so settings are not read at import.
        limit = settings.FILES_LINK_MAX_EXPIRY_SECONDS
        if value > limit:
            raise serializers.ValidationError(
                f"Ensure this value is less than or equal to {limit}.", code="max_value"
            )
        return value


class ShareLinkSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class DirectUploadStartSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=1000)
    content_type = serializers.CharField(max_length=100)
    size = serializers.IntegerField(min_value=1)


class DirectUploadSerializer(serializers.Serializer):
    file = StoredFileSerializer(source="stored_file", read_only=True)
    url = serializers.URLField(read_only=True, help_text="POST the form here, `file` last.")
    fields = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Form fields to send as is."
    )
