"""The bucket down: uploads are 503 storage_unavailable, nothing half-stored, reads go on."""

import contextlib
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.api.exceptions import StorageUnavailable
from config.ops.dependencies import storage_bulkhead
from config.tests.problems import assert_problem
from storage.models import StoredFile
from storage.tests.conftest import HUNG_READ_TIMEOUT
from storage.tests.helpers import FILES_URL, TEXT, file_url, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_before_the_outage(s3_settings, settings, user):
    """A file uploaded while the bucket answered, then the bucket goes away."""
    from storage import services

    settings.STORAGES = {**settings.STORAGES, "default": s3_settings}
    return services.file_upload(
        owner=user, upload=SimpleUploadedFile("notes.txt", TEXT, "text/plain")
    )


def test_upload_while_the_bucket_is_down_is_503_and_stores_no_row(auth_client, broken_s3_storage):
    response = upload(auth_client, "notes.txt", TEXT)

    assert_problem(response, 503, "storage_unavailable")
    assert response["Retry-After"] == "5"
    assert not StoredFile.objects.exists()


def test_lists_and_metadata_keep_working_while_the_bucket_is_down(
    auth_client, file_before_the_outage, broken_s3_storage
):
    listed = auth_client.get(FILES_URL)
    read = auth_client.get(file_url(file_before_the_outage))

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [str(file_before_the_outage.pk)]
    assert read.status_code == 200


def test_delete_while_the_bucket_is_down_is_204_and_leaves_the_object_to_a_retried_task(
    auth_client, file_before_the_outage, broken_s3_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(file_url(file_before_the_outage))

    # The row's deletion committed; the object's deletion is a task that retries (and,
    # on the immediate backend, gives up at once: storage_reconcile finds the orphan).
    assert response.status_code == 204
    assert not StoredFile.objects.exists()


def test_direct_upload_completion_while_the_bucket_is_down_is_503_and_stays_pending(
    auth_client, user, broken_s3_storage
):
    pending = StoredFile.objects.create(
        owner=user,
        filename="a.txt",
        object_key=f"u/{user.pk}/x/a.txt",
        size=3,
        content_type="text/plain",
        status=StoredFile.Status.PENDING,
    )

    response = auth_client.post(file_url(pending, "complete"))

    assert_problem(response, 503, "storage_unavailable")
    assert StoredFile.objects.get(pk=pending.pk).status == StoredFile.Status.PENDING


@pytest.fixture
def instance_of_one_storage_slot(tmp_path):
    """As config/gunicorn.py sets up an instance of two workers: one slot for the bucket."""
    storage_bulkhead.share(tmp_path / "instance", 1)
    yield
    storage_bulkhead.close()


def test_upload_while_another_request_hangs_on_the_bucket_is_refused_at_once(
    auth_client, hung_s3_storage, instance_of_one_storage_slot
):
    storage, reached = hung_s3_storage
    held = threading.Thread(target=lambda: _suppress_unavailable(storage.exists, "x"))
    held.start()
    try:
        reached()  # the other request is inside its call to the bucket, holding the slot
        started = time.monotonic()
        response = upload(auth_client, "notes.txt", TEXT)
        waited = time.monotonic() - started
    finally:
        held.join(HUNG_READ_TIMEOUT + 5)

    assert_problem(response, 503, "storage_unavailable")
    assert response["Retry-After"] == "5"
    # Refused by the bulkhead (after its 0.5 s wait), long before the hung call's timeout.
    assert waited < HUNG_READ_TIMEOUT / 2
    assert not StoredFile.objects.exists()


def _suppress_unavailable(call, *args):
    with contextlib.suppress(StorageUnavailable):
        call(*args)
