import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError
from model_bakery import baker

from storage.models import StoredFile

pytestmark = pytest.mark.django_db

PENDING = StoredFile.Status.PENDING


def test_stored_file_str_is_its_filename():
    assert str(baker.prepare(StoredFile, filename="report.pdf")) == "report.pdf"


def test_stored_file_defaults_to_active_with_a_uuid_id(user):
    stored_file = baker.make(StoredFile, owner=user)

    assert stored_file.status == StoredFile.Status.ACTIVE
    assert stored_file.pk.version == 4


def test_stored_file_object_key_is_unique(user, other_user):
    baker.make(StoredFile, owner=user, object_key="u/1/2/a.txt")

    with pytest.raises(IntegrityError):
        baker.make(StoredFile, owner=other_user, object_key="u/1/2/a.txt")


def test_stored_files_are_ordered_newest_first(user):
    first, second, third = baker.make(StoredFile, owner=user, _quantity=3)

    assert list(StoredFile.objects.all()) == [third, second, first]


def test_visible_to_member_is_own_active_files_only(user, other_user):
    own = baker.make(StoredFile, owner=user)
    baker.make(StoredFile, owner=user, status=PENDING)
    baker.make(StoredFile, owner=other_user)

    assert list(StoredFile.objects.visible_to(user)) == [own]


def test_visible_to_staff_is_every_active_file(user, other_user, staff_user):
    files = baker.make(StoredFile, owner=user, _quantity=2)
    files.append(baker.make(StoredFile, owner=other_user))
    baker.make(StoredFile, owner=other_user, status=PENDING)

    assert set(StoredFile.objects.visible_to(staff_user)) == set(files)


def test_visible_to_anonymous_is_nothing(user):
    baker.make(StoredFile, owner=user)

    assert list(StoredFile.objects.visible_to(AnonymousUser())) == []


def test_bytes_used_by_counts_pending_files_and_only_the_owners(user, other_user):
    baker.make(StoredFile, owner=user, size=100)
    baker.make(StoredFile, owner=user, size=23, status=PENDING)
    baker.make(StoredFile, owner=other_user, size=5000)

    assert StoredFile.objects.bytes_used_by(user) == 123


def test_bytes_used_by_user_without_files_is_zero(user):
    assert StoredFile.objects.bytes_used_by(user) == 0


def test_deleting_the_owner_deletes_the_rows(user):
    baker.make(StoredFile, owner=user, _quantity=2)

    user.delete()

    assert not StoredFile.objects.exists()
