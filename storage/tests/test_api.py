"""Uploading, listing, reading, downloading and deleting files through the API."""

import hashlib
import time
import uuid
from urllib.parse import quote

import pytest
import urllib3
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from model_bakery import baker

from accounts.models import User
from storage.backends import file_storage
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
    UPLOADS_URL,
    WEBP,
    ZIP,
    assert_problem,
    error_pairs,
    file_url,
    iso,
    keys_of,
    object_bytes,
    object_exists,
    stored_file_make,
    upload,
)

pytestmark = pytest.mark.django_db


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


def result_ids(response) -> list[str]:
    return [result["id"] for result in response.json()["results"]]


def streamed(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


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


# --- sanitised names --------------------------------------------------------------------


def test_file_upload_with_a_traversal_name_stays_under_the_owners_prefix(
    any_storage, auth_client, user
):
    response = upload(auth_client, "../../etc/passwd", TEXT)

    assert response.status_code == 201
    stored_file = StoredFile.objects.get()
    assert response.json()["filename"] == "passwd"
    assert stored_file.object_key == f"u/{user.pk}/{stored_file.pk}/passwd"
    assert object_bytes(stored_file.object_key) == TEXT


def test_file_upload_with_a_traversal_name_writes_inside_media_root_only(
    local_storage, auth_client, user, tmp_path
):
    response = upload(auth_client, "..\\..\\..\\..\\etc\\passwd", TEXT)

    assert response.status_code == 201
    assert response.json()["filename"] == "passwd"
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written == [tmp_path / "media" / StoredFile.objects.get().object_key]


@pytest.mark.parametrize(
    ("raw", "filename", "key_name"),
    [
        (b"re\x07port\x01.txt", "report.txt", "report.txt"),
        (b".bashrc", "bashrc", "bashrc"),
        (b"...  notes.txt", "notes.txt", "notes.txt"),
        (b". .", "file", "file"),
        (b"a b&c?d.txt", "a b&c?d.txt", "a_b_c_d.txt"),
    ],
)
def test_file_upload_sanitises_the_client_name(
    local_storage, auth_client, user, raw, filename, key_name
):
    response = upload(auth_client, raw, TEXT)

    assert response.status_code == 201
    stored_file = StoredFile.objects.get()
    assert response.json()["filename"] == filename
    assert stored_file.object_key == f"u/{user.pk}/{stored_file.pk}/{key_name}"


def test_file_upload_of_a_300_character_name_keeps_200_and_the_extension(
    any_storage, auth_client, user
):
    response = upload(auth_client, "q" * 296 + ".txt", TEXT)

    assert response.status_code == 201
    stored_file = StoredFile.objects.get()
    assert response.json()["filename"] == "q" * 196 + ".txt"
    assert stored_file.object_key == f"u/{user.pk}/{stored_file.pk}/{'q' * 96}.txt"
    assert object_bytes(stored_file.object_key) == TEXT


def test_file_upload_of_a_long_name_that_transliterates_longer_is_stored(
    any_storage, auth_client, user
):
    response = upload(auth_client, ("ⅷ" * 195 + ".txt").encode(), TEXT)

    assert response.status_code == 201
    stored_file = StoredFile.objects.get()
    assert len(stored_file.object_key.rsplit("/", 1)[1]) <= 100
    assert object_bytes(stored_file.object_key) == TEXT


UNICODE_NAME = "Résumé – 東京.txt"


def test_file_upload_of_a_unicode_name_keeps_it_and_uses_an_ascii_key(
    any_storage, auth_client, user
):
    response = upload(auth_client, UNICODE_NAME.encode(), TEXT)

    assert response.status_code == 201
    stored_file = StoredFile.objects.get()
    assert response.json()["filename"] == UNICODE_NAME
    assert stored_file.object_key == f"u/{user.pk}/{stored_file.pk}/Resume.txt"
    assert object_bytes(stored_file.object_key) == TEXT


def test_file_download_on_local_disk_of_a_unicode_name_sends_it_as_utf8(
    local_storage, auth_client, user
):
    stored_file = stored_file_make(user, filename=UNICODE_NAME)

    response = auth_client.get(file_url(stored_file, "download"))

    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(UNICODE_NAME)}"
    assert streamed(response) == TEXT


def test_file_download_on_s3_of_a_unicode_name_sends_it_as_utf8(s3_storage, auth_client, user):
    stored_file = stored_file_make(user, filename=UNICODE_NAME)

    response = auth_client.get(file_url(stored_file, "download"))
    fetched = urllib3.request("GET", response["Location"])

    assert fetched.status == 200
    # The same header as the local download's (Django's content_disposition_header).
    disposition = fetched.headers["Content-Disposition"]
    assert disposition == f"attachment; filename*=utf-8''{quote(UNICODE_NAME)}"


# --- no overwrites ----------------------------------------------------------------------


def test_file_upload_of_the_same_name_by_two_users_keeps_both(
    any_storage, auth_client, client_for, user, other_user
):
    mine = upload(auth_client, "report.pdf", PDF + b"mine")
    theirs = upload(client_for(other_user), "report.pdf", PDF + b"theirs")

    assert mine.status_code == theirs.status_code == 201
    assert object_bytes(StoredFile.objects.get(owner=user).object_key) == PDF + b"mine"
    assert object_bytes(StoredFile.objects.get(owner=other_user).object_key) == PDF + b"theirs"


def test_file_upload_of_the_same_name_twice_keeps_both(any_storage, auth_client, user):
    first = upload(auth_client, "report.pdf", PDF + b"v1")
    second = upload(auth_client, "report.pdf", PDF + b"v2")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert {first.json()["filename"], second.json()["filename"]} == {"report.pdf"}
    contents = {object_bytes(key) for key in keys_of(user)}
    assert contents == {PDF + b"v1", PDF + b"v2"}


# --- list -------------------------------------------------------------------------------


def test_file_list_returns_own_active_files_newest_first(auth_client, user, other_user):
    older, newer = baker.make(StoredFile, owner=user, _quantity=2)
    baker.make(StoredFile, owner=user, status="pending")
    baker.make(StoredFile, owner=other_user)

    response = auth_client.get(FILES_URL)

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [file_body(newer), file_body(older)],
    }


def test_file_list_is_paginated(auth_client, user):
    files = baker.make(StoredFile, owner=user, _quantity=3)

    first = auth_client.get(FILES_URL, {"page_size": 2})
    second = auth_client.get(first.json()["next"])

    assert first.json()["count"] == 3
    assert result_ids(first) == [str(files[2].pk), str(files[1].pk)]
    assert first.json()["next"] == "http://testserver/api/v1/files/?page=2&page_size=2"
    assert result_ids(second) == [str(files[0].pk)]
    assert second.json()["next"] is None


def test_file_list_filters_by_content_type(auth_client, user):
    pdf = baker.make(StoredFile, owner=user, content_type="application/pdf")
    baker.make(StoredFile, owner=user, content_type="image/png")

    response = auth_client.get(FILES_URL, {"content_type": "application/pdf"})

    assert result_ids(response) == [str(pdf.pk)]


def test_file_list_searches_names_ignoring_case(auth_client, user, other_user):
    report = baker.make(StoredFile, owner=user, filename="Quarterly Report.pdf")
    baker.make(StoredFile, owner=user, filename="holiday.png")
    baker.make(StoredFile, owner=other_user, filename="report.pdf")

    response = auth_client.get(FILES_URL, {"search": "rEpOrT"})

    assert result_ids(response) == [str(report.pk)]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("size", ["small", "medium", "large"]),
        ("-size", ["large", "medium", "small"]),
        ("filename", ["large", "medium", "small"]),
        ("created_at", ["medium", "large", "small"]),
    ],
)
def test_file_list_orders_by_the_given_field(auth_client, user, ordering, expected):
    for name, size in [("medium", 50), ("large", 90), ("small", 10)]:
        baker.make(StoredFile, owner=user, filename=name, size=size)

    response = auth_client.get(FILES_URL, {"ordering": ordering})

    assert [result["filename"] for result in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("params", "attr", "code"),
    [
        ({"ordering": "owner__password"}, "ordering", "invalid_choice"),
        ({"ordering": "object_key"}, "ordering", "invalid_choice"),
        ({"owner": "not-a-uuid"}, "owner", "invalid"),
        ({"search": "x" * 201}, "search", "max_length"),
        ({"content_type": "x" * 101}, "content_type", "max_length"),
    ],
)
def test_file_list_with_invalid_filter_values_returns_400(auth_client, user, params, attr, code):
    baker.make(StoredFile, owner=user)

    response = auth_client.get(FILES_URL, params)

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [(attr, code)]


def test_file_list_page_past_the_end_returns_404(auth_client, user):
    baker.make(StoredFile, owner=user)

    assert_problem(auth_client.get(FILES_URL, {"page": 2}), 404, "not_found")


def test_file_list_for_staff_shows_every_users_files(client_for, staff_user, user, other_user):
    files = [baker.make(StoredFile, owner=user), baker.make(StoredFile, owner=other_user)]
    baker.make(StoredFile, owner=other_user, status="pending")

    response = client_for(staff_user).get(FILES_URL)
    by_owner = client_for(staff_user).get(FILES_URL, {"owner": str(other_user.pk)})

    assert sorted(result_ids(response)) == sorted(str(f.pk) for f in files)
    assert result_ids(by_owner) == [str(files[1].pk)]


def test_file_list_for_is_staff_without_the_group_shows_own_files_only(
    client_for, user, other_user
):
    staff_without_role = User.objects.create(email="lead@example.com", is_staff=True)
    baker.make(StoredFile, owner=user)

    response = client_for(staff_without_role).get(FILES_URL)

    assert response.json()["count"] == 0


@pytest.mark.parametrize("as_staff", [False, True], ids=["member", "staff"])
def test_file_list_query_count_does_not_grow_with_the_files(
    client_for, user, other_user, staff_user, django_assert_max_num_queries, as_staff
):
    client = client_for(staff_user if as_staff else user)
    baker.make(StoredFile, owner=user)
    with CaptureQueriesContext(connection) as one_file:
        assert client.get(FILES_URL).json()["count"] == 1
    baker.make(StoredFile, owner=user, _quantity=30)
    baker.make(StoredFile, owner=other_user, _quantity=5)

    with django_assert_max_num_queries(len(one_file)):
        response = client.get(FILES_URL, {"page_size": 100})

    assert response.json()["count"] == (36 if as_staff else 31)


# --- retrieve ---------------------------------------------------------------------------


def test_file_retrieve_returns_the_whole_file(auth_client, user):
    stored_file = baker.make(StoredFile, owner=user, sha256="a" * 64)

    response = auth_client.get(file_url(stored_file))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == file_body(stored_file)


def test_file_retrieve_of_staff_reads_another_users_file(client_for, staff_user, user):
    stored_file = baker.make(StoredFile, owner=user)

    response = client_for(staff_user).get(file_url(stored_file))

    assert response.status_code == 200
    assert response.json()["owner"] == str(user.pk)


@pytest.mark.parametrize(
    "pk", [uuid.uuid4(), "not-a-uuid", "12345"], ids=["unknown", "garbage", "integer"]
)
def test_file_retrieve_of_a_missing_file_returns_404(auth_client, pk):
    assert_problem(auth_client.get(file_url(pk)), 404, "not_found")


def test_file_retrieve_of_a_pending_upload_returns_404(auth_client, user):
    stored_file = baker.make(StoredFile, owner=user, status="pending")

    assert_problem(auth_client.get(file_url(stored_file)), 404, "not_found")


def test_file_update_is_not_allowed(auth_client, user):
    stored_file = baker.make(StoredFile, owner=user, filename="keep.txt")

    response = auth_client.patch(file_url(stored_file), {"filename": "x.txt"}, format="json")

    assert_problem(response, 405, "method_not_allowed")
    assert StoredFile.objects.get().filename == "keep.txt"


# --- delete -----------------------------------------------------------------------------


def test_file_delete_returns_204_and_removes_the_object_after_commit(
    any_storage, auth_client, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)

    with django_capture_on_commit_callbacks() as callbacks:
        response = auth_client.delete(file_url(stored_file))

    assert response.status_code == 204
    assert response.content == b""
    assert not StoredFile.objects.exists()
    assert object_exists(stored_file.object_key)
    for callback in callbacks:
        callback()
    assert not object_exists(stored_file.object_key)
    assert keys_of(user) == []


def test_file_delete_with_callbacks_executed_removes_the_object(
    any_storage, auth_client, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(file_url(stored_file))

    assert response.status_code == 204
    assert not object_exists(stored_file.object_key)


def test_file_delete_of_a_file_whose_object_is_already_gone_returns_204(
    any_storage, auth_client, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)
    file_storage().delete(stored_file.object_key)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(file_url(stored_file))

    assert response.status_code == 204
    assert not StoredFile.objects.exists()


def test_file_delete_by_staff_of_another_users_file_returns_403_and_keeps_it(
    client_for, staff_user, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff_user).delete(file_url(stored_file))

    assert_problem(response, 403, "permission_denied")
    assert StoredFile.objects.get() == stored_file
    assert object_bytes(stored_file.object_key) == TEXT


# --- download ---------------------------------------------------------------------------


def test_file_download_on_local_disk_streams_the_bytes_as_an_attachment(
    local_storage, auth_client, user
):
    stored_file = stored_file_make(user, PDF, "Q3 report.pdf")

    response = auth_client.get(file_url(stored_file, "download"))

    assert response.status_code == 200
    assert streamed(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))
    assert response["Content-Disposition"] == 'attachment; filename="Q3 report.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_file_download_on_s3_redirects_to_a_presigned_attachment_url(
    s3_storage, auth_client, user
):
    stored_file = stored_file_make(user, PDF, "Q3 report.pdf")

    response = auth_client.get(file_url(stored_file, "download"))

    assert response.status_code == 302
    location = response["Location"]
    assert "X-Amz-Signature=" in location
    assert "X-Amz-Expires=300&" in location
    fetched = urllib3.request("GET", location)
    assert fetched.status == 200
    assert fetched.data == PDF
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="Q3 report.pdf"'


def test_file_download_on_s3_url_without_its_signature_is_refused(s3_storage, auth_client, user):
    stored_file = stored_file_make(user)
    location = auth_client.get(file_url(stored_file, "download"))["Location"]

    unsigned = urllib3.request("GET", location.split("?")[0])

    assert unsigned.status == 403


def test_file_download_on_s3_url_is_refused_after_it_expires(
    s3_storage, auth_client, user, settings
):
    settings.FILES_DOWNLOAD_URL_EXPIRY_SECONDS = 1
    stored_file = stored_file_make(user)
    location = auth_client.get(file_url(stored_file, "download"))["Location"]
    assert "X-Amz-Expires=1&" in location

    time.sleep(2.1)
    fetched = urllib3.request("GET", location)

    assert fetched.status == 403
    assert b"expired" in fetched.data


def test_file_download_by_staff_of_another_users_file_is_allowed(
    local_storage, client_for, staff_user, user
):
    stored_file = stored_file_make(user)

    response = client_for(staff_user).get(file_url(stored_file, "download"))

    assert response.status_code == 200
    assert streamed(response) == TEXT


# --- another user's file does not exist (BOLA); anonymous is 401 ----------------------------

ROUTES = [
    ("get", ""),
    ("get", "download"),
    ("delete", ""),
    ("post", "links"),
    ("post", "complete"),
]
ROUTE_IDS = ["retrieve", "download", "delete", "links", "complete"]


@pytest.mark.parametrize(("method", "action"), ROUTES, ids=ROUTE_IDS)
def test_file_routes_on_another_users_file_return_404_and_keep_it(
    any_storage, auth_client, other_user, django_capture_on_commit_callbacks, method, action
):
    stored_file = stored_file_make(other_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(auth_client, method)(file_url(stored_file, action), format="json")

    assert_problem(response, 404, "not_found")
    assert file_body(stored_file)["status"] == "active"
    assert object_bytes(stored_file.object_key) == TEXT


def test_file_complete_of_another_users_pending_upload_returns_404(
    s3_storage, auth_client, other_user
):
    pending = baker.make(StoredFile, owner=other_user, status="pending")

    assert_problem(auth_client.post(file_url(pending, "complete")), 404, "not_found")
    assert file_body(pending)["status"] == "pending"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", FILES_URL),
        ("post", FILES_URL),
        ("post", UPLOADS_URL),
        *((method, file_url("{pk}", action)) for method, action in ROUTES),
    ],
    ids=["list", "upload", "uploads", *ROUTE_IDS],
)
def test_file_routes_without_credentials_return_401(api_client, user, method, path):
    stored_file = baker.make(StoredFile, owner=user)

    response = getattr(api_client, method)(path.format(pk=stored_file.pk))

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert StoredFile.objects.get() == stored_file


def test_file_download_of_a_row_whose_local_object_is_gone_is_a_precise_problem(
    local_storage, auth_client, user, caplog
):
    stored_file = stored_file_make(user)
    local_storage.delete(stored_file.object_key)

    response = auth_client.get(file_url(stored_file, "download"))

    body = assert_problem(response, 500, "file_content_missing")
    assert stored_file.object_key not in body["detail"]
    assert any(record.getMessage() == "stored file has no object" for record in caplog.records)
