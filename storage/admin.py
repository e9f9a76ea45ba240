from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from resources.admin import OwnedResourceAdmin
from storage import services
from storage.models import StoredFile
from storage.views import file_download_response


@admin.register(StoredFile)
class StoredFileAdmin(OwnedResourceAdmin):
    list_display = [
        "filename",
        "owner_email",
        "human_size",
        "content_type",
        "status",
        "created_at",
    ]
    list_filter = ["status", "content_type", "created_at"]
    search_fields = ["filename", "owner__email", "sha256"]
    date_hierarchy = "created_at"
    readonly_fields = (
        "id",
        "owner",
        "filename",
        "object_key",
        "human_size",
        "content_type",
        "sha256",
        "status",
        "created_at",
        "download_link",
    )
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        # Files arrive through the API, where size, type and quota are checked.
        return False

    @admin.display(description="size", ordering="size")
    def human_size(self, stored_file: StoredFile) -> str:
        return filesizeformat(stored_file.size)

    @admin.display(description="download")
    def download_link(self, stored_file: StoredFile) -> str:
        url = reverse("admin:storage_storedfile_download", args=[stored_file.pk])
        return format_html('<a href="{}">Download {}</a>', url, stored_file.filename)

    def get_urls(self):
        download = path(
            "<uuid:file_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="storage_storedfile_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request, file_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return file_download_response(get_object_or_404(StoredFile, pk=file_id))

    def update_object(self, *, instance, data):
        # Every field is read-only: saving the page changes nothing.
        return instance

    def delete_object(self, *, instance):
        services.file_delete(stored_file=instance)
