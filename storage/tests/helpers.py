"""Assertions, sample bytes and shortcuts shared by the storage tests."""

import uuid
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from config.tests.helpers import iso
from config.tests.problems import PROBLEM, PROBLEM_KEYS, assert_problem, error_pairs  # noqa: F401
from storage import services
from storage.backends import file_storage
from storage.models import StoredFile

FILES_URL = "/api/v1/files/"
UPLOADS_URL = f"{FILES_URL}uploads/"

# The first bytes of each type Keel recognises, padded to look like a real file.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(40)
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(20)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + bytes(24)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(30)
TEXT = b"Quarterly report: revenue up, costs down.\n"
# An x86-64 ELF executable header: binary, with NULs, of no accepted type.
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(40)


def file_url(stored_file: StoredFile | uuid.UUID | str, action: str = "") -> str:
    pk = stored_file.pk if isinstance(stored_file, StoredFile) else stored_file
    return f"{FILES_URL}{pk}/{action + '/' if action else ''}"


def multipart(
    filename: str | bytes, content: bytes, content_type: str = "application/octet-stream"
) -> dict:
    """Keyword arguments for ``client.post`` sending one ``file`` part, byte for byte.

    Django's test client takes the base name of uploaded files itself; building the body
    here lets a test send exactly the name a hostile client would.
    """
    boundary = "keel-test-boundary"
    name = filename if isinstance(filename, bytes) else filename.encode()
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + name
        + b'"\r\n'
        + f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def file_body(stored_file: StoredFile) -> dict:
    """The whole API representation of the file as stored now."""
    stored_file.refresh_from_db()
    return {
        "id": str(stored_file.pk),
        "owner": str(stored_file.owner_id),
        "filename": stored_file.filename,
        "size": stored_file.size,
        "content_type": stored_file.content_type,
        "sha256": stored_file.sha256,
        "status": stored_file.status,
        "created_at": iso(stored_file.created_at),
    }


def streamed(response) -> bytes:
    """The whole body of a streaming response (a local download)."""
    assert response.streaming
    return b"".join(response.streaming_content)


def shift_clock(monkeypatch, seconds: float) -> None:
    """Make ``timezone.now`` run ``seconds`` ahead of the real clock for this test."""
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=seconds))


def upload(client, filename: str | bytes, content: bytes, content_type: str = "text/plain"):
    return client.post(FILES_URL, **multipart(filename, content, content_type))


def stored_file_make(owner, content: bytes = TEXT, filename: str = "notes.txt") -> StoredFile:
    """A file stored through the service, as an API upload would store it."""
    return services.file_upload(
        owner=owner, upload=SimpleUploadedFile(filename, content, "application/octet-stream")
    )


def object_bytes(key: str) -> bytes:
    with file_storage().open(key, "rb") as stored:
        return stored.read()


def object_exists(key: str) -> bool:
    return file_storage().exists(key)


def keys_of(owner) -> list[str]:
    """Every object stored under the owner's prefix."""
    return list(file_storage().list_keys(f"u/{owner.pk}/"))
