from django.conf import settings
from rest_framework import serializers

from config.api.serializers import InputSerializer
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


class FileUploadSerializer(InputSerializer):
    file = serializers.FileField(allow_empty_file=False)


class ShareLinkCreateSerializer(InputSerializer):
    def get_fields(self):
        # Built per instance, not at import, so the limit follows the settings (and the
        # schema states it).
        return {
            "expires_in": serializers.IntegerField(
                min_value=60,
                max_value=settings.FILES_LINK_MAX_EXPIRY_SECONDS,
                default=3600,
                help_text="Seconds the link works; at most FILES_LINK_MAX_EXPIRY_SECONDS.",
            )
        }


class ShareLinkSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class DirectUploadStartSerializer(InputSerializer):
    filename = serializers.CharField(max_length=1000)
    content_type = serializers.CharField(max_length=100)
    size = serializers.IntegerField(min_value=1)


class DirectUploadSerializer(serializers.Serializer):
    file = StoredFileSerializer(source="stored_file", read_only=True)
    url = serializers.URLField(read_only=True, help_text="POST the form here, `file` last.")
    # DRF's metaclass moves declared fields off the class, so this does not shadow
    # Serializer.fields; the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(), read_only=True, help_text="Form fields to send as is."
    )
