"""The User model: email identity, its invariants, and the manager."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from accounts.models import User, normalize_email
from accounts.tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Ann@Example.COM", "ann@example.com"),
        ("  ann@example.com\n", "ann@example.com"),
        ("ANN.LEE+tag@X.IO", "ann.lee+tag@x.io"),
    ],
)
def test_normalize_email_lowercases_the_whole_address_and_strips(raw, normalized):
    assert normalize_email(raw) == normalized


def test_create_user_stores_the_normalized_email_and_a_hashed_password():
    user = User.objects.create_user(email=" Ann@Example.COM ", password=PASSWORD)
    user.refresh_from_db()
    assert user.email == "ann@example.com"
    assert user.password != PASSWORD
    assert user.check_password(PASSWORD)
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)
    assert user.email_verified_at is None
    assert user.pk.version == 4


def test_create_user_without_password_has_an_unusable_one():
    user = User.objects.create_user(email="nopass@example.com")
    assert not user.has_usable_password()


@pytest.mark.parametrize("email", ["", None])
def test_create_user_without_email_is_refused(email):
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email=email, password=PASSWORD)


def test_create_superuser_sets_staff_and_superuser():
    user = User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    assert (user.is_staff, user.is_superuser, user.is_active) == (True, True, True)


def test_email_unique_ignoring_case_in_full_clean():
    baker.make(User, email="ann@example.com")
    duplicate = User(email="ANN@example.com", password="x")
    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()
    assert [error.code for error in caught.value.error_dict["email"]] == ["unique"]


def test_email_unique_in_the_database():
    baker.make(User, email="ann@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="ann@example.com")])


def test_email_with_capitals_is_refused_by_the_database_constraint():
    # Code that skips the manager and clean() still cannot store a second spelling.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Ann@example.com")])


def test_clean_normalizes_the_email():
    user = User(email="  Ann@Example.com ")
    user.clean()
    assert user.email == "ann@example.com"


def test_with_email_matches_any_case():
    ann = baker.make(User, email="ann@example.com")
    baker.make(User, email="bob@example.com")
    assert list(User.objects.with_email(" ANN@Example.com")) == [ann]
    assert not User.objects.with_email("nobody@example.com").exists()


def test_get_by_natural_key_ignores_case():
    ann = baker.make(User, email="ann@example.com")
    assert User.objects.get_by_natural_key("Ann@Example.COM") == ann


def test_email_verified_follows_the_verification_time():
    user = baker.prepare(User, email="ann@example.com", email_verified_at=None)
    assert user.email_verified is False
    user.email_verified_at = timezone.now()
    assert user.email_verified is True


@pytest.mark.parametrize(
    ("first", "last", "full", "short"),
    [("Ann", "Lee", "Ann Lee", "Ann"), ("Ann", "", "Ann", "Ann"), ("", "Lee", "Lee", "")],
)
def test_user_names_compose_full_and_short_name(first, last, full, short):
    user = baker.prepare(User, email="ann@example.com", first_name=first, last_name=last)
    assert user.get_full_name() == full
    assert user.get_short_name() == short
    assert str(user) == "ann@example.com"


def test_users_are_ordered_by_email():
    for email in ("carol@example.com", "ann@example.com", "bob@example.com"):
        baker.make(User, email=email)
    assert [user.email for user in User.objects.all()] == [
        "ann@example.com",
        "bob@example.com",
        "carol@example.com",
    ]


class ReadsFromAReplica:
    """A router as a read-replica setup has one: reads go elsewhere (here: nowhere)."""

    def db_for_read(self, model, **hints):
        return "replica-that-is-not-there"


def test_the_roles_data_migration_reads_and_writes_only_the_database_it_migrates(settings):
    from django.apps import apps as installed_apps
    from django.contrib.auth.models import Group

    from accounts.roles import STAFF_GROUP, grant_to_group

    Group.objects.filter(name=STAFF_GROUP).delete()
    settings.DATABASE_ROUTERS = ["accounts.tests.test_models.ReadsFromAReplica"]

    grant_to_group(installed_apps, STAFF_GROUP, [("items", "view_item")], using="default")

    settings.DATABASE_ROUTERS = []
    group = Group.objects.get(name=STAFF_GROUP)
    assert list(group.permissions.values_list("codename", flat=True)) == ["view_item"]
