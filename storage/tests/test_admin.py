"""The files admin: a read-only view of everyone's files, with download and delete."""

import pytest
import urllib3
from model_bakery import baker

from accounts.models import User
from storage.models import StoredFile
from storage.tests.helpers import (
    PDF,
    TEXT,
    object_bytes,
    object_exists,
    stored_file_make,
    streamed,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/storage/storedfile/"


def change_url(stored_file: StoredFile, action: str = "change") -> str:
    return f"{CHANGELIST}{stored_file.pk}/{action}/"


def test_admin_changelist_shows_owner_and_human_size(admin_client, user):
    baker.make(StoredFile, owner=user, filename="scan.pdf", size=1536)
    baker.make(StoredFile, owner=user, filename="film.mp4", size=3 * 1024**3)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert "scan.pdf" in page
    assert "ann@example.com" in page
    assert "1.5\xa0KB" in page
    assert "3.0\xa0GB" in page


def test_admin_changelist_query_count_does_not_grow_with_the_files(
    admin_client, user, other_user, django_assert_max_num_queries
):
    baker.make(StoredFile, owner=user)
    with django_assert_max_num_queries(50) as one_file:
        admin_client.get(CHANGELIST)
    baker.make(StoredFile, owner=user, _quantity=10)
    baker.make(StoredFile, owner=other_user, _quantity=10)

    with django_assert_max_num_queries(len(one_file)):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200


def test_admin_search_finds_files_by_owner_email(admin_client, user, other_user):
    baker.make(StoredFile, owner=user, filename="mine.pdf")
    baker.make(StoredFile, owner=other_user, filename="theirs.pdf")

    response = admin_client.get(CHANGELIST, {"q": "bob@"})

    assert "theirs.pdf" in response.content.decode()
    assert "mine.pdf" not in response.content.decode()


def test_admin_add_is_not_allowed(admin_client):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    changelist = admin_client.get(CHANGELIST).content.decode()
    assert f'href="{CHANGELIST}add/"' not in changelist


def test_admin_change_page_is_read_only_with_a_download_link(admin_client, user):
    stored_file = baker.make(StoredFile, owner=user, filename="scan.pdf")

    response = admin_client.get(change_url(stored_file))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<a href="{change_url(stored_file, "download")}">Download scan.pdf</a>' in page
    assert stored_file.object_key in page
    assert 'name="filename"' not in page


def test_admin_change_page_escapes_the_filename(admin_client, user):
    stored_file = baker.make(StoredFile, owner=user, filename="<script>x</script>.txt")

    page = admin_client.get(change_url(stored_file)).content.decode()

    assert "Download &lt;script&gt;x&lt;/script&gt;.txt" in page
    assert "<script>x</script>" not in page


def test_admin_download_on_local_disk_serves_the_file(local_storage, admin_client, user):
    stored_file = stored_file_make(user, PDF, "scan.pdf")

    response = admin_client.get(change_url(stored_file, "download"))

    assert response.status_code == 200
    assert streamed(response) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="scan.pdf"'
    # The admin adds never_cache's directives to ours.
    assert response["Cache-Control"].startswith("private, no-store")


def test_admin_download_on_s3_redirects_to_a_presigned_url(s3_storage, admin_client, user):
    stored_file = stored_file_make(user, PDF, "scan.pdf")

    response = admin_client.get(change_url(stored_file, "download"))

    assert response.status_code == 302
    assert urllib3.request("GET", response["Location"]).data == PDF


def test_admin_download_by_staff_with_the_view_permission_works(
    local_storage, client, staff_user, user
):
    stored_file = stored_file_make(user)
    client.force_login(staff_user)

    response = client.get(change_url(stored_file, "download"))

    assert response.status_code == 200
    assert streamed(response) == TEXT


def test_admin_download_by_staff_without_the_view_permission_is_403(local_storage, client, user):
    stored_file = stored_file_make(user)
    client.force_login(User.objects.create(email="lead@example.com", is_staff=True))

    assert client.get(change_url(stored_file, "download")).status_code == 403


def test_admin_download_by_a_member_redirects_to_login(local_storage, client, user):
    stored_file = stored_file_make(user)
    client.force_login(user)

    response = client.get(change_url(stored_file, "download"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_download_of_an_unknown_file_is_404(admin_client):
    url = f"{CHANGELIST}00000000-0000-4000-8000-000000000000/download/"

    assert admin_client.get(url).status_code == 404


def test_admin_delete_removes_the_row_and_the_object_after_commit(
    any_storage, admin_client, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(change_url(stored_file, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not StoredFile.objects.exists()
    assert object_exists(stored_file.object_key)
    for callback in callbacks:
        callback()
    assert not object_exists(stored_file.object_key)


def test_admin_bulk_delete_removes_the_selected_rows_and_objects(
    any_storage, admin_client, user, django_capture_on_commit_callbacks
):
    doomed = [stored_file_make(user, filename=f"{n}.txt") for n in range(2)]
    kept = stored_file_make(user, filename="kept.txt")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {
                "action": "delete_selected",
                "_selected_action": [str(f.pk) for f in doomed],
                "post": "yes",
            },
        )

    assert response.status_code == 302
    assert list(StoredFile.objects.all()) == [kept]
    assert not any(object_exists(f.object_key) for f in doomed)
    assert object_bytes(kept.object_key) == TEXT


def test_admin_delete_by_staff_with_view_permission_only_is_403(
    local_storage, client, staff_user, user
):
    stored_file = stored_file_make(user)
    client.force_login(staff_user)

    response = client.post(change_url(stored_file, "delete"), {"post": "yes"})

    assert response.status_code == 403
    assert StoredFile.objects.get() == stored_file


def test_admin_saving_the_read_only_change_page_changes_nothing(admin_client, user):
    stored_file = stored_file_make(user)
    before = StoredFile.objects.filter(pk=stored_file.pk).values().get()

    response = admin_client.post(change_url(stored_file), {"_save": "Save"})

    assert response.status_code == 302
    assert StoredFile.objects.filter(pk=stored_file.pk).values().get() == before
