"""Share links: a URL that serves one file without credentials until it expires."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from model_bakery import baker
from rest_framework.test import APIClient

from storage import services
from storage.models import StoredFile
from storage.tests.helpers import (
    FILES_URL,
    PDF,
    TEXT,
    assert_problem,
    error_pairs,
    file_url,
    shift_clock,
    stored_file_make,
    streamed,
)

pytestmark = pytest.mark.django_db

SHARED_URL = f"{FILES_URL}shared/"
SEVEN_DAYS = 7 * 24 * 3600


def test_file_links_returns_201_with_url_and_expiry(any_storage, auth_client, user):
    stored_file = stored_file_make(user)
    before = timezone.now()

    response = auth_client.post(file_url(stored_file, "links"), {"expires_in": 600}, format="json")

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"url", "expires_at"}
    expires_at = parse_datetime(body["expires_at"])
    assert before + timedelta(seconds=600) <= expires_at <= timezone.now() + timedelta(seconds=600)


def test_file_links_without_a_body_lasts_an_hour(local_storage, auth_client, user):
    stored_file = stored_file_make(user)
    before = timezone.now()

    response = auth_client.post(file_url(stored_file, "links"))

    assert response.status_code == 201
    expires_at = parse_datetime(response.json()["expires_at"])
    assert before + timedelta(hours=1) <= expires_at <= timezone.now() + timedelta(hours=1)


def test_file_links_refuses_a_multipart_body_it_cannot_read(local_storage, auth_client, user):
    stored_file = stored_file_make(user)

    response = auth_client.post(
        file_url(stored_file, "links"), {"expires_in": "600"}, format="multipart"
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_direct_upload_start_refuses_a_multipart_body(local_storage, auth_client):
    body = {"filename": "a.txt", "content_type": "text/plain", "size": "3"}

    response = auth_client.post(f"{FILES_URL}uploads/", body, format="multipart")

    assert_problem(response, 415, "unsupported_media_type")
    assert not StoredFile.objects.exists()


def test_file_link_on_local_disk_serves_the_file_without_credentials(
    local_storage, auth_client, api_client, user
):
    stored_file = stored_file_make(user, PDF, "Q3 report.pdf")
    url = auth_client.post(file_url(stored_file, "links"), {"expires_in": 600}, format="json")
    url = url.json()["url"]
    assert url.startswith(f"http://testserver{SHARED_URL}")

    response = api_client.get(url)

    assert response.status_code == 200
    assert streamed(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Q3 report.pdf"'
    assert response["Cache-Control"] == "private, no-store"


def test_file_link_on_local_disk_ignores_bad_credentials(local_storage, api_client, user):
    stored_file = stored_file_make(user)
    token = services.file_share_link_create(stored_file=stored_file, expires_in=600).token

    response = api_client.get(f"{SHARED_URL}{token}/", HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert response.status_code == 200
    assert streamed(response) == TEXT


def test_file_link_with_a_tampered_token_returns_404(local_storage, api_client, user):
    stored_file = stored_file_make(user)
    token = services.file_share_link_create(stored_file=stored_file, expires_in=600).token
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = api_client.get(f"{SHARED_URL}{tampered}/")

    body = assert_problem(response, 404, "not_found")
    assert body["detail"] == "No file is shared at this address."


def test_file_link_after_expiry_returns_410_link_expired(
    local_storage, api_client, user, monkeypatch
):
    stored_file = stored_file_make(user)
    token = services.file_share_link_create(stored_file=stored_file, expires_in=60).token
    shift_clock(monkeypatch, 59)
    assert api_client.get(f"{SHARED_URL}{token}/").status_code == 200

    shift_clock(monkeypatch, 61)
    response = api_client.get(f"{SHARED_URL}{token}/")

    body = assert_problem(response, 410, "link_expired")
    assert body["detail"] == "This link has expired."


def test_file_link_of_a_deleted_file_returns_404(
    local_storage, api_client, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)
    token = services.file_share_link_create(stored_file=stored_file, expires_in=600).token
    with django_capture_on_commit_callbacks(execute=True):
        services.file_delete(stored_file=stored_file)

    assert_problem(api_client.get(f"{SHARED_URL}{token}/"), 404, "not_found")


def test_file_link_on_s3_is_a_presigned_url_that_works_without_credentials(
    s3_storage, auth_client, user
):
    stored_file = stored_file_make(user, PDF, "report.pdf")

    response = auth_client.post(file_url(stored_file, "links"), {"expires_in": 900}, format="json")

    url = response.json()["url"]
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["900"]
    fetched = urllib3.request("GET", url)
    assert fetched.status == 200
    assert fetched.data == PDF
    assert fetched.headers["Content-Disposition"].startswith('attachment; filename="report.pdf"')


@pytest.mark.parametrize(
    ("expires_in", "code"),
    [
        (59, "min_value"),
        (0, "min_value"),
        (-60, "min_value"),
        (SEVEN_DAYS + 1, "max_value"),
        ("soon", "invalid"),
        (None, "null"),
    ],
)
def test_file_links_with_expiry_out_of_bounds_returns_400(
    local_storage, auth_client, user, expires_in, code
):
    stored_file = stored_file_make(user)

    response = auth_client.post(
        file_url(stored_file, "links"), {"expires_in": expires_in}, format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("expires_in", code)]


@pytest.mark.parametrize("expires_in", [60, SEVEN_DAYS])
def test_file_links_at_the_expiry_bounds_is_accepted(any_storage, auth_client, user, expires_in):
    stored_file = stored_file_make(user)

    response = auth_client.post(
        file_url(stored_file, "links"), {"expires_in": expires_in}, format="json"
    )

    assert response.status_code == 201


def test_file_links_maximum_follows_the_setting(local_storage, auth_client, user, settings):
    settings.FILES_LINK_MAX_EXPIRY_SECONDS = 3600
    stored_file = stored_file_make(user)

    response = auth_client.post(file_url(stored_file, "links"), {"expires_in": 3601})

    body = assert_problem(response, 400, "validation_error")
    assert body["detail"] == "Ensure this value is less than or equal to 3600."


def test_file_links_by_staff_on_another_users_file_returns_403(
    local_storage, client_for, staff_user, user
):
    stored_file = stored_file_make(user)

    response = client_for(staff_user).post(file_url(stored_file, "links"), format="json")

    assert_problem(response, 403, "permission_denied")


def test_file_links_on_a_pending_upload_returns_404(s3_storage, auth_client, user):
    pending = baker.make(StoredFile, owner=user, status="pending")

    assert_problem(auth_client.post(file_url(pending, "links")), 404, "not_found")


def test_share_link_token_never_reaches_the_access_log(local_storage, auth_client, user, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="keel.access")
    stored_file = stored_file_make(user)
    url = auth_client.post(file_url(stored_file, "links"), {"expires_in": 600}).json()["url"]
    token = url.rstrip("/").rsplit("/", 1)[1]

    assert APIClient().get(url).status_code == 200

    paths = [record.path for record in caplog.records if record.name == "keel.access"]
    assert "/api/v1/files/shared/[redacted]/" in paths
    assert not any(token in path for path in paths)


def test_file_link_works_until_the_last_moment_of_its_stated_expiry(
    local_storage, api_client, user, monkeypatch
):
    # Made at xx.999 s: a token rounding its expiry down expired 0.999 s early.
    made_at = timezone.now().replace(microsecond=999_000)
    stored_file = stored_file_make(user)
    monkeypatch.setattr(timezone, "now", lambda: made_at)
    link = services.file_share_link_create(stored_file=stored_file, expires_in=60)

    monkeypatch.setattr(timezone, "now", lambda: link.expires_at)
    response = api_client.get(f"{SHARED_URL}{link.token}/")

    assert response.status_code == 200
