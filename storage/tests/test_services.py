import hashlib
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone
from model_bakery import baker

from config.api.exceptions import ApplicationError, StorageUnavailable
from storage import services
from storage.backends import file_storage
from storage.models import StoredFile
from storage.tests.helpers import (
    ELF,
    PDF,
    PNG,
    TEXT,
    keys_of,
    object_bytes,
    object_exists,
    shift_clock,
    stored_file_make,
)

pytestmark = pytest.mark.django_db


def uploaded(content: bytes, name: str = "notes.txt") -> SimpleUploadedFile:
    # The claimed type is deliberately wrong: only the bytes may decide.
    return SimpleUploadedFile(name, content, content_type="image/png")


# --- file_upload ------------------------------------------------------------------------


def test_file_upload_stores_the_bytes_and_their_metadata(any_storage, user):
    stored_file = services.file_upload(owner=user, upload=uploaded(PDF, "Q3 report.pdf"))

    stored_file.refresh_from_db()
    assert stored_file.owner == user
    assert stored_file.filename == "Q3 report.pdf"
    assert stored_file.object_key == f"u/{user.pk}/{stored_file.pk}/Q3_report.pdf"
    assert stored_file.size == len(PDF)
    assert stored_file.content_type == "application/pdf"
    assert stored_file.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored_file.status == StoredFile.Status.ACTIVE
    assert object_bytes(stored_file.object_key) == PDF


def test_file_upload_over_the_size_limit_raises_and_stores_nothing(any_storage, user, settings):
    settings.FILES_MAX_UPLOAD_BYTES = len(TEXT) - 1

    with pytest.raises(services.FileTooLarge):
        services.file_upload(owner=user, upload=uploaded(TEXT))

    assert not StoredFile.objects.exists()
    assert keys_of(user) == []


def test_file_upload_at_the_size_limit_is_accepted(local_storage, user, settings):
    settings.FILES_MAX_UPLOAD_BYTES = len(TEXT)

    assert services.file_upload(owner=user, upload=uploaded(TEXT)).size == len(TEXT)


def test_file_upload_of_a_file_without_a_size_raises_and_stores_nothing(local_storage, user):
    upload = uploaded(TEXT)
    upload.size = None  # what an UploadedFile made without size= holds

    with pytest.raises(ValueError, match="size is unknown"):
        services.file_upload(owner=user, upload=upload)

    assert not StoredFile.objects.exists()


def test_file_upload_of_a_type_not_allowed_raises_and_stores_nothing(any_storage, user, settings):
    settings.FILES_ALLOWED_TYPES = ["application/pdf"]

    with pytest.raises(services.UnsupportedFileType, match="image/png"):
        services.file_upload(owner=user, upload=uploaded(PNG, "photo.png"))

    assert not StoredFile.objects.exists()
    assert keys_of(user) == []


def test_file_upload_over_the_quota_raises_and_stores_nothing(any_storage, user, settings):
    settings.FILES_USER_QUOTA_BYTES = 100
    baker.make(StoredFile, owner=user, size=100 - len(TEXT) + 1, status="pending")

    with pytest.raises(services.QuotaExceeded, match=f"needs {len(TEXT)} bytes"):
        services.file_upload(owner=user, upload=uploaded(TEXT))

    assert StoredFile.objects.count() == 1
    assert keys_of(user) == []


def test_file_upload_filling_the_quota_exactly_is_accepted(local_storage, user, settings):
    settings.FILES_USER_QUOTA_BYTES = 2 * len(TEXT)
    stored_file_make(user)

    stored_file_make(user)

    assert StoredFile.objects.bytes_used_by(user) == settings.FILES_USER_QUOTA_BYTES


def test_file_upload_whose_row_cannot_be_saved_leaves_no_object(any_storage, user, monkeypatch):
    existing = stored_file_make(user, filename="first.txt")
    # A second file with the same primary key: the object is written, the insert fails.
    monkeypatch.setattr(services.uuid, "uuid4", lambda: existing.pk)

    with pytest.raises(IntegrityError):
        services.file_upload(owner=user, upload=uploaded(TEXT, "second.txt"))

    assert keys_of(user) == [existing.object_key]
    assert object_bytes(existing.object_key) == TEXT


def test_file_upload_to_a_taken_key_keeps_the_existing_object(any_storage, user, monkeypatch):
    file_id = uuid.uuid4()
    taken_key = f"u/{user.pk}/{file_id}/notes.txt"
    file_storage().save(taken_key, ContentFile(b"the first writer's bytes"))
    monkeypatch.setattr(services.uuid, "uuid4", lambda: file_id)

    with pytest.raises(RuntimeError, match="was taken"):
        services.file_upload(owner=user, upload=uploaded(TEXT, "notes.txt"))

    assert not StoredFile.objects.exists()
    assert keys_of(user) == [taken_key]
    assert object_bytes(taken_key) == b"the first writer's bytes"


# --- deletion ---------------------------------------------------------------------------


def test_file_delete_removes_the_row_now_and_the_object_after_commit(
    any_storage, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)

    with django_capture_on_commit_callbacks() as callbacks:
        services.file_delete(stored_file=stored_file)

    assert not StoredFile.objects.exists()
    assert object_exists(stored_file.object_key)
    # The object's deletion, the file.deleted announcement (resources.events), and the
    # owner's response generation forgotten again after commit.
    assert len(callbacks) == 3
    for callback in callbacks:
        callback()
    assert not object_exists(stored_file.object_key)


def test_file_delete_of_a_file_whose_object_is_gone_succeeds(
    any_storage, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)
    file_storage().delete(stored_file.object_key)

    with django_capture_on_commit_callbacks(execute=True):
        services.file_delete(stored_file=stored_file)

    assert not StoredFile.objects.exists()


def test_file_delete_on_local_disk_removes_emptied_folders_only(
    local_storage, user, django_capture_on_commit_callbacks
):
    kept = stored_file_make(user, filename="kept.txt")
    deleted = stored_file_make(user, filename="deleted.txt")
    root = Path(local_storage.location)

    with django_capture_on_commit_callbacks(execute=True):
        services.file_delete(stored_file=deleted)

    assert not (root / "u" / str(user.pk) / str(deleted.pk)).exists()
    assert (root / kept.object_key).read_bytes() == TEXT

    with django_capture_on_commit_callbacks(execute=True):
        services.file_delete(stored_file=kept)

    assert not (root / "u" / str(user.pk)).exists()
    assert root.is_dir()


def test_files_delete_for_owner_removes_rows_and_then_objects(
    any_storage, user, other_user, django_capture_on_commit_callbacks
):
    owned = [stored_file_make(user, filename=f"{n}.txt") for n in range(2)]
    pending = baker.make(StoredFile, owner=user, status="pending", object_key=f"u/{user.pk}/p/x")
    theirs = stored_file_make(other_user)

    with django_capture_on_commit_callbacks() as callbacks:
        deleted = services.files_delete_for_owner(owner=user)

    assert deleted == 3
    assert list(StoredFile.objects.all()) == [theirs]
    assert all(object_exists(stored_file.object_key) for stored_file in owned)
    for callback in callbacks:
        callback()
    assert keys_of(user) == []
    assert not object_exists(pending.object_key)
    assert object_bytes(theirs.object_key) == TEXT


# --- share links and presigned URLs -----------------------------------------------------


def test_file_share_link_create_on_local_disk_is_a_signed_token(local_storage, user):
    stored_file = baker.make(StoredFile, owner=user)
    before = timezone.now()

    link = services.file_share_link_create(stored_file=stored_file, expires_in=600)

    assert link.url is None
    assert before + timedelta(seconds=600) <= link.expires_at
    assert link.expires_at <= timezone.now() + timedelta(seconds=600)
    assert services.shared_file_resolve(token=link.token) == stored_file


def test_shared_file_resolve_after_expiry_raises_link_expired(local_storage, user, monkeypatch):
    stored_file = baker.make(StoredFile, owner=user)
    link = services.file_share_link_create(stored_file=stored_file, expires_in=60)

    shift_clock(monkeypatch, 59)
    assert services.shared_file_resolve(token=link.token) == stored_file
    shift_clock(monkeypatch, 62)
    with pytest.raises(services.ShareLinkExpired):
        services.shared_file_resolve(token=link.token)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: signing.dumps(signing.loads(token, salt="storage.share-link")),
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "other-salt", "garbage"],
)
def test_shared_file_resolve_of_a_forged_token_raises_invalid(local_storage, user, forge):
    stored_file = baker.make(StoredFile, owner=user)
    link = services.file_share_link_create(stored_file=stored_file, expires_in=600)

    with pytest.raises(services.ShareLinkInvalid):
        services.shared_file_resolve(token=forge(link.token))


@pytest.mark.parametrize("status", ["deleted", "pending"])
def test_shared_file_resolve_of_a_file_no_longer_active_raises_invalid(
    local_storage, user, status
):
    stored_file = baker.make(StoredFile, owner=user)
    link = services.file_share_link_create(stored_file=stored_file, expires_in=600)
    if status == "deleted":
        stored_file.delete()
    else:
        StoredFile.objects.filter(pk=stored_file.pk).update(status=status)

    with pytest.raises(services.ShareLinkInvalid):
        services.shared_file_resolve(token=link.token)


def test_file_share_link_create_on_s3_is_a_presigned_url_for_that_long(s3_storage, user):
    stored_file = baker.make(StoredFile, owner=user, object_key="u/a/b/report.pdf")

    link = services.file_share_link_create(stored_file=stored_file, expires_in=900)

    assert link.token is None
    url = urlsplit(link.url)
    query = parse_qs(url.query)
    assert url.path == f"/{s3_storage.bucket_name}/u/a/b/report.pdf"
    assert query["X-Amz-Expires"] == ["900"]
    assert query["response-content-disposition"][0].startswith("attachment;")


# --- direct uploads ---------------------------------------------------------------------


def test_direct_upload_start_on_local_disk_raises_unsupported(local_storage, user):
    with pytest.raises(services.DirectUploadUnsupported):
        services.direct_upload_start(
            owner=user, filename="a.txt", content_type="text/plain", size=10
        )

    assert not StoredFile.objects.exists()


def test_pending_uploads_cleanup_deletes_stale_pending_rows_and_objects(
    s3_storage, user, django_capture_on_commit_callbacks
):
    def pending(age: timedelta, status: str = "pending") -> StoredFile:
        stored_file = baker.make(
            StoredFile, owner=user, status=status, object_key=f"u/{user.pk}/{uuid.uuid4()}/f"
        )
        file_storage().save(stored_file.object_key, ContentFile(TEXT))
        StoredFile.objects.filter(pk=stored_file.pk).update(created_at=timezone.now() - age)
        return stored_file

    pending(timedelta(hours=25))
    fresh = pending(timedelta(hours=23))
    old_active = pending(timedelta(days=30), status="active")

    with django_capture_on_commit_callbacks(execute=True):
        deleted = services.pending_uploads_cleanup()

    assert deleted == 1
    assert set(StoredFile.objects.all()) == {fresh, old_active}
    assert sorted(keys_of(user)) == sorted([fresh.object_key, old_active.object_key])


def test_pending_uploads_cleanup_with_an_age_uses_it(local_storage, user):
    baker.make(StoredFile, owner=user, status="pending")

    assert services.pending_uploads_cleanup(older_than=timedelta(hours=1)) == 0
    assert services.pending_uploads_cleanup(older_than=timedelta(0)) == 1
    assert not StoredFile.objects.exists()


# --- upkeep -----------------------------------------------------------------------------


def test_storage_round_trip_leaves_nothing_behind(isolated_storage):
    services.storage_round_trip()

    assert list(isolated_storage.list_keys()) == []


def test_storage_round_trip_on_a_broken_backend_raises(broken_storage):
    # The disk's own error, or the bucket unreachable as the 503 the API answers.
    with pytest.raises((OSError, StorageUnavailable)):
        services.storage_round_trip()


def test_storage_reconcile_reports_orphans_and_missing_objects(isolated_storage, user):
    present = stored_file_make(user)
    missing = baker.make(StoredFile, owner=user, object_key=f"u/{user.pk}/gone/a.txt")
    # Pending uploads: neither their objects are orphans nor their missing ones a problem.
    uploading = baker.make(StoredFile, owner=user, status="pending", object_key=f"u/{user.pk}/p/b")
    isolated_storage.save(uploading.object_key, ContentFile(b"arrived"))
    baker.make(StoredFile, owner=user, status="pending", object_key=f"u/{user.pk}/q/b")
    orphan = isolated_storage.save(f"u/{user.pk}/orphan/c.txt", ContentFile(b"left over"))
    outside = isolated_storage.save("elsewhere/d.txt", ContentFile(b"not ours"))
    checked = []

    report = services.storage_reconcile(progress=checked.append)

    assert report.orphan_objects == [orphan]
    assert report.missing_objects == [missing.object_key]
    assert report.deleted == 0
    assert checked == [1, 2, 3]
    assert isolated_storage.exists(orphan)
    assert isolated_storage.exists(present.object_key)
    isolated_storage.delete(outside)


def test_storage_reconcile_with_delete_removes_orphans_only(isolated_storage, user):
    present = stored_file_make(user)
    baker.make(StoredFile, owner=user, object_key=f"u/{user.pk}/gone/a.txt")
    orphan = isolated_storage.save(f"u/{user.pk}/orphan/c.txt", ContentFile(b"left over"))

    report = services.storage_reconcile(delete=True, grace=timedelta(0))

    assert report.orphan_objects == [orphan]
    assert report.deleted == 1
    assert list(isolated_storage.list_keys()) == [present.object_key]
    assert StoredFile.objects.count() == 2


def test_storage_reconcile_keeps_young_orphans_an_upload_may_still_claim(isolated_storage, user):
    orphan = isolated_storage.save(f"u/{user.pk}/in-flight/c.txt", ContentFile(b"uploading"))

    report = services.storage_reconcile(delete=True)

    assert report.orphan_objects == [orphan]
    assert report.deleted == 0
    assert list(isolated_storage.list_keys()) == [orphan]


def test_bucket_create_list_and_delete_on_s3(s3_storage):
    name = f"keel-extra-{uuid.uuid4().hex[:8]}"

    services.bucket_create(name=name)
    assert name in services.bucket_names()
    assert s3_storage.bucket_name in services.bucket_names()

    services.bucket_delete(name=name)
    assert name not in services.bucket_names()


def test_bucket_management_on_local_disk_raises_application_error(local_storage):
    with pytest.raises(ApplicationError, match="STORAGE_BACKEND=s3"):
        services.bucket_names()


def test_file_upload_refuses_executables_whatever_their_name(local_storage, user):
    with pytest.raises(services.UnsupportedFileType, match="application/octet-stream"):
        services.file_upload(owner=user, upload=uploaded(ELF, "holiday.png"))
