import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from accounts.roles import STAFF_GROUP
from items.models import Item
from resources.models import entity_tag

pytestmark = pytest.mark.django_db


def test_item_str_is_its_title(user):
    item = baker.make("items.Item", owner=user, title="Buy milk")

    assert str(item) == "Buy milk"


def test_item_defaults_are_open_with_empty_description(user):
    item = Item.objects.create(owner=user, title="Buy milk")

    assert item.description == ""
    assert item.is_completed is False
    assert item.completed_at is None
    assert item.created_at <= item.updated_at


def test_item_default_ordering_is_newest_first(user):
    now = timezone.now()
    old = baker.make("items.Item", owner=user, created_at=now - timedelta(days=2))
    new = baker.make("items.Item", owner=user, created_at=now)
    middle = baker.make("items.Item", owner=user, created_at=now - timedelta(days=1))

    assert list(Item.objects.all()) == [new, middle, old]


def test_item_etag_is_a_quoted_strong_tag(user):
    item = baker.make("items.Item", owner=user)

    assert re.fullmatch(r'"[0-9a-f]{32}"', entity_tag(item))


def test_item_etag_is_stable_across_reads(user):
    item = baker.make("items.Item", owner=user)

    assert entity_tag(Item.objects.get(pk=item.pk)) == entity_tag(item)


def test_item_etag_changes_when_the_item_is_saved(user):
    item = baker.make("items.Item", owner=user)
    before = entity_tag(item)

    item.title = "Something else"
    item.save()

    assert entity_tag(item) != before
    assert entity_tag(Item.objects.get(pk=item.pk)) == entity_tag(item)


def test_item_etag_differs_between_items_saved_at_the_same_moment(user):
    first, second = baker.make("items.Item", owner=user, _quantity=2)
    Item.objects.update(updated_at=timezone.now())
    first.refresh_from_db()
    second.refresh_from_db()

    assert first.updated_at == second.updated_at
    assert entity_tag(first) != entity_tag(second)


@pytest.mark.parametrize("title", ["", "   "])
def test_item_title_blank_is_refused_by_the_database(user, title):
    # SQL's TRIM strips spaces only; other whitespace is the services' job (str.strip).
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(owner=user, title=title)


@pytest.mark.parametrize(
    ("is_completed", "completed_at"),
    [(True, None), (False, timezone.now())],
    ids=["completed-without-time", "open-with-time"],
)
def test_item_completed_at_not_matching_the_flag_is_refused_by_the_database(
    user, is_completed, completed_at
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(
            owner=user, title="Buy milk", is_completed=is_completed, completed_at=completed_at
        )


def test_item_completed_with_time_is_accepted_by_the_database(user):
    item = Item.objects.create(
        owner=user, title="Buy milk", is_completed=True, completed_at=timezone.now()
    )

    assert Item.objects.filter(pk=item.pk, is_completed=True).exists()


def test_item_is_deleted_with_its_owner(user, other_user):
    baker.make("items.Item", owner=user, _quantity=2)
    kept = baker.make("items.Item", owner=other_user)

    user.delete()

    assert list(Item.objects.all()) == [kept]


def test_visible_to_anonymous_user_is_empty(user):
    baker.make("items.Item", owner=user)

    assert not Item.objects.visible_to(AnonymousUser()).exists()


def test_visible_to_member_is_only_their_own_items(user, other_user):
    mine = baker.make("items.Item", owner=user)
    baker.make("items.Item", owner=other_user)

    assert list(Item.objects.visible_to(user)) == [mine]


def test_visible_to_staff_is_every_item(staff_user, user, other_user):
    items = [baker.make("items.Item", owner=owner) for owner in (user, other_user)]

    assert set(Item.objects.visible_to(staff_user)) == set(items)


def test_visible_to_superuser_is_every_item(superuser, user, other_user):
    items = [baker.make("items.Item", owner=owner) for owner in (user, other_user)]

    assert set(Item.objects.visible_to(superuser)) == set(items)


def test_visible_to_user_with_direct_view_permission_is_every_item(user, other_user, grant):
    items = [baker.make("items.Item", owner=owner) for owner in (user, other_user)]
    grant(user, "view_item")

    assert set(Item.objects.visible_to(user)) == set(items)


def test_staff_group_of_migrations_may_view_items():
    staff = Group.objects.get(name=STAFF_GROUP)

    assert staff.permissions.filter(content_type__app_label="items", codename="view_item").exists()
    assert not staff.permissions.filter(
        content_type__app_label="items", codename__in=["add_item", "change_item", "delete_item"]
    ).exists()


def test_item_models_have_no_missing_migrations():
    output = StringIO()

    # With check=True it also exits non-zero (SystemExit) when models and migrations disagree.
    call_command("makemigrations", "items", check=True, dry_run=True, stdout=output)

    assert output.getvalue() == "No changes detected in app 'items'\n"
