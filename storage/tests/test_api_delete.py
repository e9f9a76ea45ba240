"""Deleting files: the row goes at once, the stored object after the commit."""

import pytest

from storage.backends import file_storage
from storage.models import StoredFile
from storage.tests.helpers import (
    TEXT,
    assert_problem,
    file_url,
    keys_of,
    object_bytes,
    object_exists,
    stored_file_make,
)

pytestmark = pytest.mark.django_db


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
