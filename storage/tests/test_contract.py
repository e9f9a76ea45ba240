"""Files keep the owned-resource contract (resources/contract.py), on local files."""

from django.core.files.uploadedfile import SimpleUploadedFile

from resources.contract import OwnedResourceContract
from storage.tests.helpers import TEXT, stored_file_make


class TestStoredFileContract(OwnedResourceContract):
    url = "/api/v1/files/"
    model = "storage.StoredFile"
    extra_invalid_filters = [{"content_type": "x" * 101}, {"ordering": "object_key"}]
    # A member's list reads their active files only: the indexes start with both.
    owner_index_prefix = ("owner", "status")

    def make(self, owner, **fields):
        return stored_file_make(owner, **fields)

    def create(self, client, **extra_fields):
        upload = SimpleUploadedFile("notes.txt", TEXT, "text/plain")
        return client.post(self.url, {"file": upload, **extra_fields}, format="multipart")
