"""Uploading files through the API, and the limits on size, type and quota."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from model_bakery import baker

from config.tests.helpers import iso
from storage.models import StoredFile
from storage.services import QuotaExceeded
from storage.tests.helpers import (
    ELF,
    FILES_URL,
    GIF,
    JPEG,
    PDF,
    PNG,
    TEXT,
    WEBP,
    ZIP,
    assert_problem,
    error_pairs,
    file_url,
    keys_of,
    object_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


# --- upload -----------------------------------------------------------------------------


def test_file_upload_returns_201_with_the_whole_file_and_stores_the_bytes(
    any_storage, auth_client, user
):
    before = timezone.now()

    response = upload(auth_client, "photo.png", PNG, "application/octet-stream")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    stored_file = StoredFile.objects.get()
    assert response.json() == {
        "id": str(stored_file.pk),
        "owner": str(user.pk),
        "filename": "photo.png",
        "size": len(PNG),
        "content_type": "image/png",
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "status": "active",
        "created_at": iso(stored_file.created_at),
    }
    assert before <= stored_file.created_at <= timezone.now()
    assert response["Location"] == f"http://testserver{file_url(stored_file)}"
    assert stored_file.object_key == f"u/{user.pk}/{stored_file.pk}/photo.png"
    assert object_bytes(stored_file.object_key) == PNG
    assert keys_of(user) == [stored_file.object_key]


def test_file_upload_with_django_test_client_multipart_works(local_storage, auth_client):
    document = SimpleUploadedFile("contract.pdf", PDF, content_type="application/pdf")

    response = auth_client.post(FILES_URL, {"file": document}, format="multipart")

    assert response.status_code == 201
    assert response.json()["filename"] == "contract.pdf"
    assert response.json()["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (PDF, "application/pdf"),
        (ZIP, "application/zip"),
        (TEXT, "text/plain"),
    ],
)
def test_file_upload_takes_the_content_type_from_the_bytes_not_the_claim(
    local_storage, auth_client, content, expected
):
    response = upload(auth_client, "upload.bin", content, "application/x-claimed")

    assert response.status_code == 201
    assert response.json()["content_type"] == expected


def test_file_upload_returns_the_file_it_points_to(local_storage, auth_client):
    response = upload(auth_client, "notes.txt", TEXT)

    assert auth_client.get(response["Location"]).json() == response.json()


# --- limits -----------------------------------------------------------------------------


def test_file_upload_over_the_size_limit_returns_413_and_stores_nothing(
    any_storage, auth_client, user, settings
):
    settings.FILES_MAX_UPLOAD_BYTES = len(TEXT) - 1

    response = upload(auth_client, "notes.txt", TEXT)

    body = assert_problem(response, 413, "file_too_large")
    assert body["errors"] == []
    assert not StoredFile.objects.exists()
    assert keys_of(user) == []


def test_file_upload_with_a_body_over_the_limit_returns_413_and_stores_nothing(
    any_storage, auth_client, user, settings
):
    settings.FILES_MAX_UPLOAD_BYTES = 1000

    response = upload(auth_client, "big.txt", b"a" * (100 * 1024))

    assert_problem(response, 413, "file_too_large")
    assert not StoredFile.objects.exists()
    assert keys_of(user) == []


def test_file_upload_with_content_length_over_the_limit_is_refused_before_parsing(
    local_storage, auth_client, settings
):
    settings.FILES_MAX_UPLOAD_BYTES = 1000
    # No part at all: once parsed, this body is a 400 for the missing file, not a 413.
    garbage = {"data": b"no boundaries here", "content_type": "multipart/form-data; boundary=x"}
    assert_problem(auth_client.post(FILES_URL, **garbage), 400, "validation_error")

    response = auth_client.post(FILES_URL, **garbage, CONTENT_LENGTH=str(1000 + 64 * 1024 + 1))

    assert_problem(response, 413, "file_too_large")


@pytest.mark.parametrize(
    ("name", "content"),
    [("cat.png", ELF), ("cat.png", bytes(range(256)) * 4)],
    ids=["executable", "random-binary"],
)
def test_file_upload_of_unrecognised_bytes_returns_415_whatever_the_claim(
    any_storage, auth_client, user, name, content
):
    response = upload(auth_client, name, content, "image/png")

    body = assert_problem(response, 415, "unsupported_file_type")
    assert "application/octet-stream" in body["detail"]
    assert not StoredFile.objects.exists()
    assert keys_of(user) == []


def test_file_upload_of_an_empty_file_is_a_validation_error(any_storage, auth_client, user):
    body = assert_problem(upload(auth_client, "empty.txt", b""), 400, "validation_error")
    assert [(error["attr"], error["code"]) for error in body["errors"]] == [("file", "empty")]
    assert not StoredFile.objects.exists()


def test_file_upload_to_s3_stores_the_detected_content_type_not_the_claim(s3_storage, auth_client):
    upload(auth_client, "cat.png", TEXT, "image/png")
    stored_file = StoredFile.objects.get()

    head = s3_storage.client.head_object(Bucket=s3_storage.bucket_name, Key=stored_file.object_key)

    assert head["ContentType"] == "text/plain"


def test_file_upload_of_a_type_left_out_of_the_allowlist_returns_415(
    local_storage, auth_client, settings
):
    settings.FILES_ALLOWED_TYPES = ["application/pdf", "text/plain"]

    response = upload(auth_client, "photo.png", PNG, "image/png")

    body = assert_problem(response, 415, "unsupported_file_type")
    assert body["detail"] == (
        "Files of type image/png are not accepted; allowed: application/pdf, text/plain."
    )
    assert not StoredFile.objects.exists()


def test_file_upload_over_the_quota_returns_413_and_stores_nothing(
    any_storage, auth_client, user, settings
):
    settings.FILES_USER_QUOTA_BYTES = 2 * len(TEXT) - 1
    first = upload(auth_client, "first.txt", TEXT)
    assert first.status_code == 201

    response = upload(auth_client, "second.txt", TEXT)

    body = assert_problem(response, 413, "quota_exceeded")
    left = len(TEXT) - 1
    assert body["detail"] == f"This upload needs {len(TEXT)} bytes; {left} of your quota are left."
    assert StoredFile.objects.count() == 1
    assert keys_of(user) == [StoredFile.objects.get().object_key]


def test_file_upload_quota_ignores_other_users_files(
    local_storage, auth_client, other_user, settings
):
    settings.FILES_USER_QUOTA_BYTES = len(TEXT)
    baker.make(StoredFile, owner=other_user, size=10 * len(TEXT))

    response = upload(auth_client, "notes.txt", TEXT)

    assert response.status_code == 201


def test_quota_exceeded_detail_never_shows_a_negative_remainder(
    local_storage, auth_client, user, settings
):
    settings.FILES_USER_QUOTA_BYTES = 10
    baker.make(StoredFile, owner=user, size=50)

    body = assert_problem(upload(auth_client, "notes.txt", TEXT), 413, QuotaExceeded.code)

    assert body["detail"].endswith("; 0 of your quota are left.")


def test_file_upload_without_a_file_field_returns_400_on_file(local_storage, auth_client):
    response = auth_client.post(FILES_URL, {"name": "notes.txt"}, format="multipart")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("file", "required")]
    assert not StoredFile.objects.exists()


def test_file_upload_as_json_returns_400_on_file(local_storage, auth_client):
    response = auth_client.post(FILES_URL, {"file": "aGVsbG8="}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("file", "invalid")]
    assert not StoredFile.objects.exists()


def test_file_upload_as_plain_text_body_returns_415_unsupported_media_type(
    local_storage, auth_client
):
    response = auth_client.post(FILES_URL, data=TEXT, content_type="text/plain")

    assert_problem(response, 415, "unsupported_media_type")
