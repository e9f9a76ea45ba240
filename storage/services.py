"""Every write of the storage app: uploads, deletions, links, direct uploads, upkeep."""

import hashlib
import logging
import math
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from config.api.exceptions import ApplicationError
from resources.events import resource_announce
from resources.services import resource_delete, resource_for_write
from storage import tasks
from storage.backends import file_storage, supports_presigned_urls
from storage.content_types import SNIFF_BYTES, detect_content_type
from storage.exceptions import (
    DirectUploadUnsupported,
    FileContentMissing,
    FileTooLarge,
    QuotaExceeded,
    ShareLinkExpired,
    ShareLinkInvalid,
    UnsupportedFileType,
    UploadNotComplete,
)
from storage.filenames import key_safe_filename, sanitize_filename
from storage.models import StoredFile

logger = logging.getLogger(__name__)

_SHARE_LINK_SALT = "storage.share-link"


@dataclass(frozen=True)
class ShareLink:
    """Either a full presigned URL (S3) or a token our own view serves (local files)."""

    expires_at: datetime
    url: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class DirectUpload:
    stored_file: StoredFile
    url: str
    fields: dict


# --- Uploads through the API ------------------------------------------------------------


def file_upload(*, owner: User, upload: UploadedFile) -> StoredFile:
    """Store an uploaded file after checking its size, real type and the owner's quota.

    The bytes are hashed and written before the transaction starts: a 25 MiB write must
    not hold database locks (on SQLite, the whole database's write lock).
    """
    size = upload.size
    if size is None:
        # Django's upload handlers always know it; only a hand-made UploadedFile may not.
        raise ValueError("the upload's size is unknown")
    if size > settings.FILES_MAX_UPLOAD_BYTES:
        raise FileTooLarge()
    content_type = _sniffed_allowed_type(upload)
    _check_quota(owner=owner, adding=size)  # early, unlocked: spares a useless write
    stored_file = _new_file(owner=owner, filename=upload.name, size=size)
    stored_file.content_type = content_type
    stored_file.sha256 = _sha256(upload)
    # S3 backends store the object with the upload's content type: ours, not the claim.
    upload.content_type = content_type
    _save_object(stored_file.object_key, upload)
    try:
        with transaction.atomic():
            _check_quota(owner=owner, adding=size, lock=True)
            stored_file.save(force_insert=True)
            resource_announce(stored_file, "created")
    except BaseException:
        # The row is what makes the object reachable; without it, drop the object.
        _delete_objects([stored_file.object_key])
        raise
    return stored_file


def _sniffed_allowed_type(upload: UploadedFile) -> str:
    upload.seek(0)
    content_type = detect_content_type(upload.read(SNIFF_BYTES))
    upload.seek(0)
    if content_type not in settings.FILES_ALLOWED_TYPES:
        raise UnsupportedFileType(
            f"Files of type {content_type} are not accepted; "
            f"allowed: {', '.join(settings.FILES_ALLOWED_TYPES)}."
        )
    return content_type


def _check_quota(*, owner: User, adding: int, lock: bool = False) -> None:
    if lock:
        # Locking the owner's row queues concurrent uploads of one user, so two of them
        # cannot both fit under the quota by reading the same total.
        User.objects.select_for_update().filter(pk=owner.pk).exists()
    used = StoredFile.objects.bytes_used_by(owner)
    if used + adding > settings.FILES_USER_QUOTA_BYTES:
        raise QuotaExceeded(
            f"This upload needs {adding} bytes; {max(settings.FILES_USER_QUOTA_BYTES - used, 0)} "
            "of your quota are left."
        )


def _new_file(*, owner: User, filename: str | None, size: int) -> StoredFile:
    file_id = uuid.uuid4()
    safe_name = sanitize_filename(filename)
    return StoredFile(
        id=file_id,
        owner=owner,
        filename=safe_name,
        size=size,
        object_key=f"u/{owner.pk}/{file_id}/{key_safe_filename(safe_name)}",
    )


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _save_object(key: str, content: File) -> None:
    saved_as = file_storage().save(key, content)
    if saved_as != key:
        # Keys embed a fresh UUID, so this means two writers raced for one key.
        _delete_objects([saved_as])
        raise RuntimeError(f"object key {key} was taken; the upload was not stored")


# --- Deletion ---------------------------------------------------------------------------


@transaction.atomic
def file_delete(*, stored_file: StoredFile, if_match: Collection[str] = ()) -> None:
    """Delete the row now and the object once the deletion has committed."""
    stored_file = resource_for_write(stored_file, if_match=if_match)
    key = stored_file.object_key
    resource_delete(instance=stored_file)
    _delete_objects_after_commit([key])


@transaction.atomic
def files_delete_for_owner(*, owner: User) -> int:
    """Delete every file of a user (the account deletion path)."""
    files = StoredFile.objects.filter(owner=owner)
    keys = list(files.values_list("object_key", flat=True))
    files.delete()
    _delete_objects_after_commit(keys)
    return len(keys)


def _delete_objects_after_commit(keys: list[str]) -> None:
    """Once the rows' deletion has committed, delete their objects in a retried task.

    After the commit the rows are gone for good, so the request must not fail because
    the bucket is down: the task retries with backoff (``TASK_MAX_ATTEMPTS``).
    """
    if keys:
        transaction.on_commit(lambda: tasks.objects_delete.enqueue(keys=keys))


def _delete_objects(keys: list[str]) -> None:
    storage = file_storage()
    for key in keys:
        storage.delete(key)


# --- Downloads and share links ------------------------------------------------------------


def file_open(*, stored_file: StoredFile) -> File:
    """The file's bytes from local storage, opened for streaming."""
    try:
        return file_storage().open(stored_file.object_key, "rb")
    except FileNotFoundError as error:
        logger.error(
            "stored file has no object",
            extra={"file_id": str(stored_file.pk), "key": stored_file.object_key},
        )
        raise FileContentMissing() from error


def file_presigned_url(*, stored_file: StoredFile, expires_in: int | None = None) -> str:
    """A short-lived URL downloading the file as an attachment (S3 backends only)."""
    return file_storage().presigned_download_url(
        stored_file.object_key,
        filename=stored_file.filename,
        content_type=stored_file.content_type,
        expires_in=expires_in or settings.FILES_DOWNLOAD_URL_EXPIRY_SECONDS,
    )


def file_share_link_create(*, stored_file: StoredFile, expires_in: int) -> ShareLink:
    expires_at = timezone.now() + timedelta(seconds=expires_in)
    if supports_presigned_urls(file_storage()):
        url = file_presigned_url(stored_file=stored_file, expires_in=expires_in)
        return ShareLink(expires_at=expires_at, url=url)
    token = signing.dumps(
        {"id": str(stored_file.pk), "exp": math.ceil(expires_at.timestamp())},
        salt=_SHARE_LINK_SALT,
    )
    return ShareLink(expires_at=expires_at, token=token)


def shared_file_resolve(*, token: str) -> StoredFile:
    """The active file a local share-link token points at, if the link is still valid."""
    try:
        payload = signing.loads(token, salt=_SHARE_LINK_SALT)
    except signing.BadSignature as error:
        raise ShareLinkInvalid() from error
    if payload["exp"] < timezone.now().timestamp():
        raise ShareLinkExpired()
    stored_file = StoredFile.objects.filter(
        pk=payload["id"], status=StoredFile.Status.ACTIVE
    ).first()
    if stored_file is None:
        raise ShareLinkInvalid()
    return stored_file


# --- Direct-to-bucket uploads -------------------------------------------------------------


def direct_upload_start(
    *, owner: User, filename: str, content_type: str, size: int
) -> DirectUpload:
    """Reserve a pending file and presign a POST that accepts exactly these bytes."""
    storage = file_storage()
    if not supports_presigned_urls(storage):
        raise DirectUploadUnsupported()
    if size > settings.FILES_MAX_UPLOAD_BYTES:
        raise FileTooLarge()
    if content_type not in settings.FILES_ALLOWED_TYPES:
        raise UnsupportedFileType()
    with transaction.atomic():
        _check_quota(owner=owner, adding=size, lock=True)
        stored_file = _new_file(owner=owner, filename=filename, size=size)
        stored_file.content_type = content_type
        stored_file.status = StoredFile.Status.PENDING
        stored_file.save(force_insert=True)
    post = storage.presigned_upload(
        stored_file.object_key,
        content_type=content_type,
        size=size,
        expires_in=settings.FILES_DIRECT_UPLOAD_EXPIRY_SECONDS,
    )
    return DirectUpload(stored_file=stored_file, url=post["url"], fields=post["fields"])


@transaction.atomic
def direct_upload_complete(*, stored_file: StoredFile) -> StoredFile:
    """Activate a pending upload once the bucket holds exactly what was declared.

    The pending row is locked first: of concurrent completions one activates the file
    and the others find it no longer pending (404).
    """
    stored_file = _lock_pending(stored_file)
    storage = file_storage()
    metadata = storage.object_metadata(stored_file.object_key)
    if metadata is None:
        raise UploadNotComplete("Nothing has been uploaded for this file yet.")
    if metadata["size"] != stored_file.size:
        raise UploadNotComplete(
            f"The object has {metadata['size']} bytes; {stored_file.size} were declared."
        )
    actual_type = detect_content_type(storage.read_start(stored_file.object_key, SNIFF_BYTES))
    if actual_type != stored_file.content_type:
        raise UploadNotComplete(
            f"The object is {actual_type}; {stored_file.content_type} was declared."
        )
    stored_file.status = StoredFile.Status.ACTIVE
    stored_file.save(update_fields=["status"])
    # A pending file is nobody's to see: for clients, the file is created now.
    resource_announce(stored_file, "created")
    return stored_file


def _lock_pending(stored_file: StoredFile) -> StoredFile:
    pending = (
        StoredFile.objects.select_for_update()
        .filter(pk=stored_file.pk, status=StoredFile.Status.PENDING)
        .first()
    )
    if pending is None:
        raise Http404
    return pending


@transaction.atomic
def pending_uploads_cleanup(*, older_than: timedelta | None = None) -> int:
    """Delete pending uploads never completed (default: older than a day), rows and objects."""
    age = (
        older_than
        if older_than is not None
        else timedelta(seconds=settings.FILES_PENDING_MAX_AGE_SECONDS)
    )
    stale = StoredFile.objects.filter(
        status=StoredFile.Status.PENDING, created_at__lt=timezone.now() - age
    )
    keys = list(stale.values_list("object_key", flat=True))
    stale.delete()
    _delete_objects_after_commit(keys)
    return len(keys)


# --- Operator upkeep ---------------------------------------------------------------------

_CHECK_KEY_PREFIX = "keel-storage-check/"


def storage_round_trip() -> None:
    """Write, read back and delete a small object; raises if any step fails."""
    storage = file_storage()
    payload = uuid.uuid4().hex.encode()
    key = storage.save(f"{_CHECK_KEY_PREFIX}{uuid.uuid4().hex}.txt", ContentFile(payload))
    try:
        with storage.open(key, "rb") as stored:
            if stored.read() != payload:
                raise RuntimeError("the object read back differs from the one written")
    finally:
        storage.delete(key)


@dataclass
class ReconcileReport:
    orphan_objects: list[str] = field(default_factory=list)
    missing_objects: list[str] = field(default_factory=list)
    deleted: int = 0


def storage_reconcile(
    *,
    delete: bool = False,
    grace: timedelta = timedelta(hours=1),
    progress: Callable[[int], None] = lambda checked: None,
) -> ReconcileReport:
    """Compare bucket and table: objects without rows, and active rows without objects.

    With ``delete``, orphan objects older than ``grace`` are removed. Younger ones may
    belong to an upload whose row is about to commit, so they are only reported; rows
    without objects are only reported too: they need a person to decide.
    """
    storage = file_storage()
    known_keys = set(StoredFile.objects.values_list("object_key", flat=True))
    active_keys = set(
        StoredFile.objects.filter(status=StoredFile.Status.ACTIVE).values_list(
            "object_key", flat=True
        )
    )
    report = ReconcileReport()
    seen = set()
    for checked, key in enumerate(storage.list_keys("u/"), start=1):
        seen.add(key)
        if key not in known_keys:
            report.orphan_objects.append(key)
        progress(checked)
    report.missing_objects = sorted(active_keys - seen)
    if delete:
        deletable = _orphans_older_than(report.orphan_objects, timezone.now() - grace)
        _delete_objects(deletable)
        report.deleted = len(deletable)
    return report


def _orphans_older_than(keys: list[str], cutoff: datetime) -> list[str]:
    # Re-read the rows: an upload may have committed since the first read.
    committed = set(
        StoredFile.objects.filter(object_key__in=keys).values_list("object_key", flat=True)
    )
    storage = file_storage()
    return [
        key for key in keys if key not in committed and storage.get_modified_time(key) < cutoff
    ]


def bucket_names() -> list[str]:
    return [bucket["Name"] for bucket in _s3_client().list_buckets().get("Buckets", [])]


def bucket_create(*, name: str) -> None:
    _s3_client().create_bucket(Bucket=name)


def bucket_delete(*, name: str) -> None:
    _s3_client().delete_bucket(Bucket=name)


def _s3_client():
    storage = file_storage()
    if not supports_presigned_urls(storage):
        raise ApplicationError("Bucket management needs STORAGE_BACKEND=s3.")
    return storage.client
