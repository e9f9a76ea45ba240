"""Direct-to-bucket uploads: start, POST the form to the bucket, complete."""

import pytest
import urllib3
from model_bakery import baker

from config.tests.helpers import iso, result_ids
from storage.models import StoredFile
from storage.tests.helpers import (
    FILES_URL,
    PDF,
    PNG,
    TEXT,
    UPLOADS_URL,
    assert_problem,
    error_pairs,
    file_url,
    keys_of,
    object_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def start(client, *, filename="scan.pdf", content_type="application/pdf", size=None):
    return client.post(
        UPLOADS_URL,
        {"filename": filename, "content_type": content_type, "size": size or len(PDF)},
        format="json",
    )


def post_form(started: dict, content: bytes, content_type: str | None = None):
    """POST the presigned form to the bucket as a browser would, the file last."""
    fields = started["fields"]
    part_type = content_type or fields["Content-Type"]
    return urllib3.request(
        "POST",
        started["url"],
        fields={**fields, "Content-Type": part_type, "file": ("upload", content, part_type)},
    )


def complete(client, started: dict):
    return client.post(file_url(started["file"]["id"], "complete"))


def test_direct_upload_start_returns_201_with_a_pending_file_and_a_form(
    s3_storage, auth_client, user
):
    response = start(auth_client, filename="Scan 01.pdf")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    body = response.json()
    stored_file = StoredFile.objects.get()
    assert body["file"] == {
        "id": str(stored_file.pk),
        "owner": str(user.pk),
        "filename": "Scan 01.pdf",
        "size": len(PDF),
        "content_type": "application/pdf",
        "sha256": "",
        "status": "pending",
        "created_at": iso(stored_file.created_at),
    }
    assert stored_file.object_key == f"u/{user.pk}/{stored_file.pk}/Scan_01.pdf"
    assert body["url"] == f"{s3_storage.endpoint_url}/{s3_storage.bucket_name}"
    assert body["fields"]["key"] == stored_file.object_key
    assert body["fields"]["Content-Type"] == "application/pdf"
    assert {"policy", "x-amz-signature", "x-amz-credential"} <= set(body["fields"])
    assert keys_of(user) == []


def test_direct_upload_round_trip_activates_the_file(s3_storage, auth_client, user):
    started = start(auth_client).json()

    posted = post_form(started, PDF)
    response = complete(auth_client, started)

    assert posted.status == 204
    assert response.status_code == 200
    stored_file = StoredFile.objects.get()
    assert response.json() == {**started["file"], "status": "active"}
    assert stored_file.status == StoredFile.Status.ACTIVE
    assert object_bytes(stored_file.object_key) == PDF
    assert result_ids(auth_client.get(FILES_URL)) == [str(stored_file.pk)]
    download = auth_client.get(file_url(stored_file, "download"))
    assert urllib3.request("GET", download["Location"]).data == PDF


def test_direct_upload_is_announced_as_file_created_once_completed_not_when_started(
    s3_storage, auth_client, user, django_capture_on_commit_callbacks
):
    from resources.events import resource_committed

    heard = []

    def hear(sender, **announcement):
        heard.append((announcement["event_type"], announcement["data"]))

    resource_committed.connect(hear, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            started = start(auth_client).json()
        announced_at_start = list(heard)
        post_form(started, PDF)
        with django_capture_on_commit_callbacks(execute=True):
            response = complete(auth_client, started)
    finally:
        resource_committed.disconnect(hear)

    assert announced_at_start == []
    assert heard == [("file.created", response.json())]


def test_direct_upload_start_sanitises_the_filename(s3_storage, auth_client, user):
    response = start(auth_client, filename="../../etc/évil name.pdf")

    stored_file = StoredFile.objects.get()
    assert response.json()["file"]["filename"] == "évil name.pdf"
    assert stored_file.object_key == f"u/{user.pk}/{stored_file.pk}/evil_name.pdf"


def test_direct_upload_complete_before_uploading_returns_400_and_stays_pending(
    s3_storage, auth_client
):
    started = start(auth_client).json()

    response = complete(auth_client, started)

    body = assert_problem(response, 400, "upload_not_complete")
    assert body["detail"] == "Nothing has been uploaded for this file yet."
    assert StoredFile.objects.get().status == StoredFile.Status.PENDING


def test_direct_upload_of_more_bytes_than_declared_is_refused_by_the_bucket(
    s3_storage, auth_client, user
):
    started = start(auth_client).json()

    posted = post_form(started, PDF + b"and more")

    # SeaweedFS (like AWS and MinIO) enforces the policy's content-length-range.
    assert posted.status == 400
    assert b"EntityTooLarge" in posted.data
    assert keys_of(user) == []
    assert_problem(complete(auth_client, started), 400, "upload_not_complete")


def test_direct_upload_of_fewer_bytes_than_declared_is_refused_by_the_bucket(
    s3_storage, auth_client, user
):
    started = start(auth_client).json()

    posted = post_form(started, PDF[:-1])

    assert posted.status == 400
    assert b"EntityTooSmall" in posted.data
    assert keys_of(user) == []


def test_direct_upload_complete_of_an_object_of_another_size_returns_400(s3_storage, auth_client):
    # What a server that ignored content-length-range would have let through.
    started = start(auth_client).json()
    stored_file = StoredFile.objects.get()
    s3_storage.client.put_object(
        Bucket=s3_storage.bucket_name, Key=stored_file.object_key, Body=PDF + b"and more"
    )

    response = complete(auth_client, started)

    body = assert_problem(response, 400, "upload_not_complete")
    assert body["detail"] == f"The object has {len(PDF) + 8} bytes; {len(PDF)} were declared."
    assert StoredFile.objects.get().status == StoredFile.Status.PENDING


def test_direct_upload_of_other_bytes_than_the_declared_type_fails_to_complete(
    s3_storage, auth_client
):
    started = start(auth_client, filename="a.png", content_type="image/png", size=len(TEXT))
    started = started.json()

    posted = post_form(started, TEXT)
    response = complete(auth_client, started)

    assert posted.status == 204
    body = assert_problem(response, 400, "upload_not_complete")
    assert body["detail"] == "The object is text/plain; image/png was declared."
    assert StoredFile.objects.get().status == StoredFile.Status.PENDING
    assert auth_client.get(FILES_URL).json()["results"] == []


def test_direct_upload_with_another_content_type_than_signed_is_refused_by_the_bucket(
    s3_storage, auth_client, user
):
    started = start(auth_client).json()

    posted = post_form(started, PDF, content_type="text/html")

    assert posted.status == 403
    assert keys_of(user) == []


def test_direct_upload_complete_twice_returns_404_the_second_time(s3_storage, auth_client):
    started = start(auth_client).json()
    post_form(started, PDF)
    assert complete(auth_client, started).status_code == 200

    assert_problem(complete(auth_client, started), 404, "not_found")


def test_direct_upload_complete_of_an_active_file_returns_404(s3_storage, auth_client, user):
    stored_file = baker.make(StoredFile, owner=user)

    assert_problem(auth_client.post(file_url(stored_file, "complete")), 404, "not_found")


def test_direct_upload_start_over_the_size_limit_returns_413(s3_storage, auth_client, settings):
    settings.FILES_MAX_UPLOAD_BYTES = 1000

    response = start(auth_client, size=1001)

    assert_problem(response, 413, "file_too_large")
    assert not StoredFile.objects.exists()


def test_direct_upload_start_of_a_type_not_allowed_returns_415(s3_storage, auth_client):
    response = start(auth_client, filename="run.exe", content_type="application/x-msdownload")

    assert_problem(response, 415, "unsupported_file_type")
    assert not StoredFile.objects.exists()


def test_direct_upload_pending_size_counts_against_the_quota(
    s3_storage, auth_client, user, settings
):
    settings.FILES_USER_QUOTA_BYTES = 100
    assert start(auth_client, size=100 - len(TEXT) + 1).status_code == 201

    assert_problem(upload(auth_client, "notes.txt", TEXT), 413, "quota_exceeded")
    assert_problem(start(auth_client, size=len(TEXT)), 413, "quota_exceeded")
    assert StoredFile.objects.count() == 1


def test_direct_upload_pending_files_are_not_listed_or_readable(s3_storage, auth_client):
    started = start(auth_client).json()

    assert auth_client.get(FILES_URL).json()["results"] == []
    assert_problem(auth_client.get(file_url(started["file"]["id"])), 404, "not_found")
    download = auth_client.get(file_url(started["file"]["id"], "download"))
    assert_problem(download, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, [("filename", "required"), ("content_type", "required"), ("size", "required")]),
        (
            {"filename": "a.pdf", "content_type": "application/pdf", "size": 0},
            [("size", "min_value")],
        ),
        (
            {"filename": "a.pdf", "content_type": "application/pdf", "size": "big"},
            [("size", "invalid")],
        ),
        (
            {"filename": "", "content_type": "x" * 101, "size": 1},
            [("filename", "blank"), ("content_type", "max_length")],
        ),
    ],
)
def test_direct_upload_start_with_invalid_input_returns_400(s3_storage, auth_client, body, errors):
    response = auth_client.post(UPLOADS_URL, body, format="json")

    assert error_pairs(assert_problem(response, 400, "validation_error")) == errors
    assert not StoredFile.objects.exists()


def test_direct_upload_start_on_local_disk_returns_400_unsupported(local_storage, auth_client):
    response = start(auth_client)

    body = assert_problem(response, 400, "direct_upload_unsupported")
    assert body["detail"].startswith("Direct uploads need an S3-compatible storage backend")
    assert not StoredFile.objects.exists()


def test_direct_upload_png_round_trip_detects_the_declared_type(s3_storage, auth_client):
    started = start(auth_client, filename="a.png", content_type="image/png", size=len(PNG))
    started = started.json()
    post_form(started, PNG)

    response = complete(auth_client, started)

    assert response.status_code == 200
    assert response.json()["content_type"] == "image/png"
