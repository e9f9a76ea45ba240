"""Another user's file does not exist for the files routes (BOLA); anonymous is 401."""

import pytest
from model_bakery import baker

from storage.models import StoredFile
from storage.tests.helpers import (
    FILES_URL,
    TEXT,
    UPLOADS_URL,
    assert_problem,
    file_body,
    file_url,
    object_bytes,
    stored_file_make,
)

pytestmark = pytest.mark.django_db


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
