import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from model_bakery import baker

from accounts.services import user_remove
from config.api.exceptions import PreconditionFailed
from items import services
from items.models import Item
from items.tests.helpers import LONG_AGO, completed_item, stored
from resources.models import entity_tag

pytestmark = pytest.mark.django_db


# --- item_create ----------------------------------------------------------------------


def test_item_create_stores_an_open_item_with_trimmed_title(user):
    item = services.item_create(owner=user, title="  Buy milk \n", description="Two litres")

    assert stored(item) == {
        "id": item.pk,
        "owner_id": user.pk,
        "title": "Buy milk",
        "description": "Two litres",
        "is_completed": False,
        "completed_at": None,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def test_item_create_completed_sets_completed_at_to_now(user):
    before = timezone.now()

    item = services.item_create(owner=user, title="Buy milk", is_completed=True)

    assert before <= stored(item)["completed_at"] <= timezone.now()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"title": ""}, "title"),
        ({"title": " \t\n "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "description": "x" * 5001}, "description"),
    ],
    ids=["empty-title", "whitespace-title", "long-title", "long-description"],
)
def test_item_create_invalid_fields_raise_validation_error_and_store_nothing(
    user, fields, error_field
):
    with pytest.raises(ValidationError) as raised:
        services.item_create(owner=user, **fields)

    assert set(raised.value.message_dict) == {error_field}
    assert not Item.objects.exists()


def test_item_create_accepts_title_and_description_at_their_maximum_length(user):
    item = services.item_create(owner=user, title="x" * 200, description="y" * 5000)

    assert len(stored(item)["title"]) == 200
    assert len(stored(item)["description"]) == 5000


# --- item_update ----------------------------------------------------------------------


def test_item_update_completing_sets_completed_at(user):
    item = baker.make("items.Item", owner=user)
    before = timezone.now()

    services.item_update(item=item, data={"is_completed": True})

    row = stored(item)
    assert row["is_completed"] is True
    assert before <= row["completed_at"] <= timezone.now()


def test_item_update_reopening_clears_completed_at(user):
    item = completed_item(user)

    services.item_update(item=item, data={"is_completed": False})

    assert stored(item)["is_completed"] is False
    assert stored(item)["completed_at"] is None


def test_item_update_completing_an_already_completed_item_keeps_completed_at(user):
    item = completed_item(user)

    services.item_update(item=item, data={"is_completed": True})

    assert stored(item)["completed_at"] == LONG_AGO


def test_item_update_of_other_fields_keeps_completed_at(user):
    item = completed_item(user, title="Old")

    services.item_update(item=item, data={"title": " New ", "description": "More"})

    row = stored(item)
    assert (row["title"], row["description"]) == ("New", "More")
    assert row["completed_at"] == LONG_AGO


def test_item_update_ignores_fields_that_are_not_writable(user, other_user):
    item = baker.make("items.Item", owner=user, title="Old")
    before = stored(item)

    services.item_update(
        item=item,
        data={
            "title": "New",
            "owner": other_user,
            "owner_id": other_user.pk,
            "created_at": LONG_AGO,
            "completed_at": LONG_AGO,
        },
    )

    after = stored(item)
    assert after["title"] == "New"
    assert after["owner_id"] == user.pk
    assert after["created_at"] == before["created_at"]
    assert after["completed_at"] is None


def test_item_update_bumps_updated_at_and_etag(user):
    item = baker.make("items.Item", owner=user)
    Item.objects.filter(pk=item.pk).update(updated_at=LONG_AGO)
    item.refresh_from_db()
    old_etag = entity_tag(item)

    updated = services.item_update(item=item, data={"description": "More"})

    assert stored(item)["updated_at"] > LONG_AGO
    assert entity_tag(updated) != old_etag
    assert entity_tag(updated) == entity_tag(Item.objects.get(pk=item.pk))


def test_item_update_blank_title_raises_validation_error_and_keeps_row(user):
    item = baker.make("items.Item", owner=user, title="Keep me")

    with pytest.raises(ValidationError) as raised:
        services.item_update(item=item, data={"title": "   "})

    assert set(raised.value.message_dict) == {"title"}
    assert stored(item)["title"] == "Keep me"


def test_item_update_with_current_etag_applies_the_change(user):
    item = baker.make("items.Item", owner=user, title="Old")

    services.item_update(item=item, data={"title": "New"}, if_match=[entity_tag(item)])

    assert stored(item)["title"] == "New"


def test_item_update_with_any_etag_wildcard_applies_the_change(user):
    item = baker.make("items.Item", owner=user, title="Old")

    services.item_update(item=item, data={"title": "New"}, if_match=["*"])

    assert stored(item)["title"] == "New"


def test_item_update_with_stale_etag_raises_precondition_failed_and_keeps_row(user):
    item = baker.make("items.Item", owner=user, title="Old")
    stale_etag = entity_tag(item)
    services.item_update(item=Item.objects.get(pk=item.pk), data={"title": "Theirs"})
    before = stored(item)

    with pytest.raises(PreconditionFailed):
        services.item_update(item=item, data={"title": "Mine"}, if_match=[stale_etag])

    assert stored(item) == before


def test_item_update_with_etag_checks_the_stored_row_not_the_callers_copy(user):
    # The caller's copy is stale; its own etag must not pass for the stored row's.
    item = baker.make("items.Item", owner=user, title="Old")
    Item.objects.filter(pk=item.pk).update(title="Changed", updated_at=timezone.now())

    with pytest.raises(PreconditionFailed):
        services.item_update(item=item, data={"title": "Mine"}, if_match=[entity_tag(item)])

    assert stored(item)["title"] == "Changed"


def test_item_update_with_etag_applies_the_change_to_the_stored_row(user):
    # Completed meanwhile by someone else: the write starts from the stored row, so
    # completing again keeps their completed_at instead of treating it as a new flip.
    item = baker.make("items.Item", owner=user)
    Item.objects.filter(pk=item.pk).update(is_completed=True, completed_at=LONG_AGO)

    updated = services.item_update(item=item, data={"is_completed": True}, if_match=["*"])

    assert updated.completed_at == LONG_AGO
    assert stored(item)["completed_at"] == LONG_AGO


# --- item_delete ----------------------------------------------------------------------


def test_item_delete_removes_only_that_item(user):
    item, kept = baker.make("items.Item", owner=user, _quantity=2)

    services.item_delete(item=item)

    assert list(Item.objects.all()) == [kept]


def test_item_delete_with_current_etag_removes_the_item(user):
    item = baker.make("items.Item", owner=user)

    services.item_delete(item=item, if_match=[entity_tag(item)])

    assert not Item.objects.filter(pk=item.pk).exists()


def test_item_delete_with_stale_etag_raises_precondition_failed_and_keeps_row(user):
    item = baker.make("items.Item", owner=user)

    with pytest.raises(PreconditionFailed):
        services.item_delete(item=item, if_match=['"stale"'])

    assert Item.objects.filter(pk=item.pk).exists()


# --- items_mark_completed -------------------------------------------------------------


def test_items_mark_completed_completes_open_items_and_counts_them(user):
    open_items = baker.make("items.Item", owner=user, _quantity=2)
    done = completed_item(user)
    before = timezone.now()

    count = services.items_mark_completed(items=Item.objects.all())

    assert count == 2
    for item in open_items:
        row = stored(item)
        assert row["is_completed"] is True
        assert before <= row["completed_at"] == row["updated_at"] <= timezone.now()
    assert stored(done)["completed_at"] == LONG_AGO


def test_items_mark_completed_touches_only_the_given_queryset(user, other_user):
    mine = baker.make("items.Item", owner=user)
    theirs = baker.make("items.Item", owner=other_user)

    count = services.items_mark_completed(items=Item.objects.filter(owner=user))

    assert count == 1
    assert stored(mine)["is_completed"] is True
    assert stored(theirs)["is_completed"] is False


def test_items_mark_completed_changes_the_etag(user):
    item = baker.make("items.Item", owner=user)
    Item.objects.filter(pk=item.pk).update(updated_at=LONG_AGO)
    item.refresh_from_db()

    services.items_mark_completed(items=Item.objects.all())

    assert entity_tag(Item.objects.get(pk=item.pk)) != entity_tag(item)


# --- the owner's account is removed ----------------------------------------------------


def test_user_remove_takes_the_users_items_with_it_and_keeps_others(user, other_user):
    baker.make("items.Item", owner=user, _quantity=3)
    kept = baker.make("items.Item", owner=other_user)

    user_remove(user=user)

    assert list(Item.objects.values_list("pk", flat=True)) == [kept.pk]
