"""Downloading files: streamed from local disk, a presigned redirect on S3."""

import time

import pytest
import urllib3

from storage.tests.helpers import PDF, TEXT, assert_problem, file_url, stored_file_make, streamed

pytestmark = pytest.mark.django_db


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


def test_file_download_of_a_row_whose_local_object_is_gone_is_a_precise_problem(
    local_storage, auth_client, user, caplog
):
    stored_file = stored_file_make(user)
    local_storage.delete(stored_file.object_key)

    response = auth_client.get(file_url(stored_file, "download"))

    body = assert_problem(response, 500, "file_content_missing")
    assert stored_file.object_key not in body["detail"]
    assert any(record.getMessage() == "stored file has no object" for record in caplog.records)
