"""The two file backends Keel runs on, with the few operations Django's API lacks.

``STORAGES["default"]`` is one of these (``config.settings.env.build_file_storage``). Code asks
``supports_presigned_urls(storage)`` rather than checking the class.

``PrivateS3Storage`` lives in ``storage.s3`` and is imported from there only when asked for
(``storage.backends.PrivateS3Storage``, as ``STORAGES`` names it): boto3 and botocore are
about 19 MB of every worker, which a deployment on local files never uses.
"""

from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage, storages


def file_storage():
    return storages["default"]


def supports_presigned_urls(storage) -> bool:
    return callable(getattr(storage, "presigned_download_url", None))


def __getattr__(name: str) -> Any:
    if name == "PrivateS3Storage":
        from storage.s3 import PrivateS3Storage

        return PrivateS3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class LocalFileStorage(FileSystemStorage):
    """Files under MEDIA_ROOT, never served by URL: only streamed by our views."""

    def url(self, name):
        raise NotImplementedError("Local files are served through the API, not by URL.")

    def delete(self, name):
        super().delete(name)
        # Keys are u/<owner>/<file>/<name>: drop the folders the object leaves empty.
        root = Path(self.location).resolve()
        folder = Path(self.path(name)).parent
        while folder != root and folder.is_relative_to(root):
            try:
                # rmdir only removes empty folders; a missing object has no folder left,
                # and a concurrent upload may fill one between a check and the removal.
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent

    def list_keys(self, prefix: str = ""):
        root = Path(self.location)
        for path in sorted((root / prefix).rglob("*") if (root / prefix).exists() else []):
            if path.is_file():
                yield path.relative_to(root).as_posix()
