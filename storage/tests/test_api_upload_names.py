"""Client file names are sanitised, kept for display and never overwrite another file."""

from urllib.parse import quote

import pytest
import urllib3

from storage.models import StoredFile
from storage.tests.helpers import (
    PDF,
    TEXT,
    file_url,
    keys_of,
    object_bytes,
    stored_file_make,
    streamed,
    upload,
)

pytestmark = pytest.mark.django_db


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
