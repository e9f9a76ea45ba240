"""The operators' commands: storage_check, storage_buckets, storage_reconcile, cleanup."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command, execute_from_command_line
from django.utils import timezone
from model_bakery import baker

from storage.models import StoredFile
from storage.tests.helpers import keys_of, object_bytes, stored_file_make

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(*args, stdout=stdout, stderr=stderr, no_color=True)
    return stdout.getvalue(), stderr.getvalue()


# --- storage_check ----------------------------------------------------------------------


def test_storage_check_on_a_working_backend_reports_ok_and_leaves_nothing(isolated_storage):
    stdout, _ = run("storage_check")

    backend = type(isolated_storage).__name__
    assert stdout == f"Storage OK ({backend}): write, read, delete.\n"
    assert list(isolated_storage.list_keys()) == []


def test_storage_check_on_a_broken_backend_raises_a_one_line_command_error(broken_storage):
    with pytest.raises(CommandError) as error:
        run("storage_check")

    message = str(error.value)
    assert message.startswith(f"Storage check failed on {type(broken_storage).__name__}: ")
    assert "\n" not in message


def test_storage_check_on_a_broken_backend_exits_non_zero(broken_local_storage, capsys):
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "storage_check"])

    assert exit_info.value.code == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith("CommandError: Storage check failed on LocalFileStorage: ")
    assert stderr.count("\n") == 1


# --- storage_buckets --------------------------------------------------------------------


def test_storage_buckets_list_shows_the_configured_bucket(s3_storage):
    stdout, _ = run("storage_buckets", "list")

    assert s3_storage.bucket_name in stdout.splitlines()


def test_storage_buckets_create_and_delete_a_bucket(s3_storage):
    name = f"keel-cmd-{uuid.uuid4().hex[:8]}"

    created, _ = run("storage_buckets", "create", name)
    listed, _ = run("storage_buckets", "list")
    deleted, _ = run("storage_buckets", "delete", name)

    assert created == f"Created bucket {name}.\n"
    assert name in listed.splitlines()
    assert deleted == f"Deleted bucket {name}.\n"
    assert name not in run("storage_buckets", "list")[0].splitlines()


def test_storage_buckets_delete_of_a_missing_bucket_raises_command_error(s3_storage):
    with pytest.raises(CommandError, match="NoSuchBucket"):
        run("storage_buckets", "delete", f"keel-missing-{uuid.uuid4().hex[:8]}")


def test_storage_buckets_on_an_unreachable_server_raises_command_error(broken_s3_storage):
    with pytest.raises(CommandError, match="Could not connect"):
        run("storage_buckets", "list")


@pytest.mark.parametrize("args", [["list"], ["create", "x"], ["delete", "x"]])
def test_storage_buckets_on_local_disk_raises_command_error(local_storage, args):
    with pytest.raises(CommandError, match=r"^Bucket management needs STORAGE_BACKEND=s3\.$"):
        run("storage_buckets", *args)


def test_storage_buckets_without_an_action_raises_command_error(s3_storage):
    with pytest.raises(CommandError, match="action"):
        run("storage_buckets")


# --- storage_reconcile ------------------------------------------------------------------


def test_storage_reconcile_reports_orphans_and_rows_without_objects(isolated_storage, user):
    stored_file_make(user)
    missing = baker.make(StoredFile, owner=user, object_key=f"u/{user.pk}/gone/a.txt")
    orphan = isolated_storage.save(f"u/{user.pk}/orphan/b.txt", ContentFile(b"left over"))

    stdout, _ = run("storage_reconcile")

    assert stdout.splitlines() == [
        f"orphan object: {orphan}",
        f"missing object for row: {missing.object_key}",
        "1 orphan object(s), 1 row(s) without object.",
    ]
    assert object_bytes(orphan) == b"left over"


def test_storage_reconcile_with_delete_removes_the_orphans_only(isolated_storage, user):
    present = stored_file_make(user)
    missing = baker.make(StoredFile, owner=user, object_key=f"u/{user.pk}/gone/a.txt")
    orphan = isolated_storage.save(f"u/{user.pk}/orphan/b.txt", ContentFile(b"left over"))

    stdout, _ = run("storage_reconcile", "--delete", "--grace-minutes", "0")

    assert stdout.splitlines()[-1] == (
        "1 orphan object(s), 1 row(s) without object; deleted 1 orphan object(s)."
    )
    assert keys_of(user) == [present.object_key]
    assert not isolated_storage.exists(orphan)
    assert set(StoredFile.objects.all()) == {present, missing}


def test_storage_reconcile_with_delete_spares_orphans_within_the_grace_period(
    isolated_storage, user
):
    orphan = isolated_storage.save(f"u/{user.pk}/orphan/b.txt", ContentFile(b"in flight"))

    stdout, _ = run("storage_reconcile", "--delete")

    assert stdout.splitlines()[-1] == (
        "1 orphan object(s), 0 row(s) without object; deleted 0 orphan object(s)."
    )
    assert isolated_storage.exists(orphan)


def test_storage_reconcile_rejects_a_negative_grace(local_storage):
    with pytest.raises(CommandError, match="zero or more"):
        run("storage_reconcile", "--grace-minutes", "-1")


def test_storage_reconcile_of_a_consistent_storage_reports_nothing(isolated_storage, user):
    stored_file_make(user)

    stdout, _ = run("storage_reconcile")

    assert stdout == "0 orphan object(s), 0 row(s) without object.\n"


# --- storage_cleanup_pending ------------------------------------------------------------


def pending_file(owner, *, age: timedelta, status: str = "pending", **fields) -> StoredFile:
    stored_file = baker.make(StoredFile, owner=owner, status=status, **fields)
    StoredFile.objects.filter(pk=stored_file.pk).update(created_at=timezone.now() - age)
    return stored_file


def test_storage_cleanup_pending_deletes_stale_pending_uploads_and_their_objects(
    s3_storage, user, django_capture_on_commit_callbacks
):
    stale = pending_file(user, age=timedelta(days=2), object_key=f"u/{user.pk}/p/scan.pdf")
    s3_storage.save(stale.object_key, ContentFile(b"half done"))
    fresh = pending_file(user, age=timedelta(hours=1))
    active = pending_file(user, age=timedelta(days=30), status="active")

    with django_capture_on_commit_callbacks(execute=True):
        stdout, _ = run("storage_cleanup_pending")

    assert stdout == "Deleted 1 stale pending upload(s).\n"
    assert set(StoredFile.objects.all()) == {fresh, active}
    assert not s3_storage.exists(stale.object_key)


def test_storage_cleanup_pending_with_an_age_in_hours_uses_it(local_storage, user):
    pending_file(user, age=timedelta(hours=3))
    kept = pending_file(user, age=timedelta(hours=1))

    stdout, _ = run("storage_cleanup_pending", "--older-than-hours", "2")

    assert stdout == "Deleted 1 stale pending upload(s).\n"
    assert list(StoredFile.objects.all()) == [kept]


def test_storage_cleanup_pending_follows_the_max_age_setting(local_storage, user, settings):
    settings.FILES_PENDING_MAX_AGE_SECONDS = 60
    pending_file(user, age=timedelta(minutes=2))

    assert run("storage_cleanup_pending")[0] == "Deleted 1 stale pending upload(s).\n"


def test_storage_cleanup_pending_with_a_negative_age_raises_command_error(local_storage, user):
    pending_file(user, age=timedelta(days=2))

    with pytest.raises(CommandError, match="--older-than-hours must be zero or more"):
        run("storage_cleanup_pending", "--older-than-hours", "-1")

    assert StoredFile.objects.count() == 1
