"""Creating, listing, reading, replacing, patching and deleting items over HTTP."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from model_bakery import baker

from config.tests.helpers import iso, result_ids
from items.models import Item
from items.tests.helpers import (
    ITEMS_URL,
    LONG_AGO,
    assert_problem,
    completed_item,
    error_pairs,
    item_body,
    item_url,
    stored,
)
from resources.models import entity_tag

pytestmark = pytest.mark.django_db


# --- CRUD -----------------------------------------------------------------------------


def test_item_create_returns_201_with_the_whole_item(auth_client, user):
    before = timezone.now()

    response = auth_client.post(
        ITEMS_URL, {"title": "  Buy milk  ", "description": "Two litres"}, format="json"
    )

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    item = Item.objects.get()
    assert response.json() == {
        "id": str(item.pk),
        "owner": str(user.pk),
        "title": "Buy milk",
        "description": "Two litres",
        "is_completed": False,
        "completed_at": None,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
    }
    assert before <= item.created_at <= item.updated_at <= timezone.now()


def test_item_create_sends_location_of_the_new_item_and_its_etag(auth_client):
    response = auth_client.post(ITEMS_URL, {"title": "Buy milk"}, format="json")

    item = Item.objects.get()
    assert response["Location"] == f"http://testserver{item_url(item)}"
    assert response["ETag"] == entity_tag(item)
    assert auth_client.get(response["Location"]).json() == response.json()


def test_item_create_completed_sets_completed_at(auth_client):
    before = timezone.now()

    response = auth_client.post(
        ITEMS_URL, {"title": "Buy milk", "is_completed": True}, format="json"
    )

    assert response.status_code == 201
    item = Item.objects.get()
    assert before <= item.completed_at <= timezone.now()
    assert response.json()["is_completed"] is True
    assert response.json()["completed_at"] == iso(item.completed_at)


def test_item_list_is_paginated_with_the_whole_items(auth_client, user):
    item = baker.make("items.Item", owner=user, title="Buy milk", description="Two litres")

    response = auth_client.get(ITEMS_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "count": None,
        "next": None,
        "previous": None,
        "results": [item_body(item)],
    }


def test_item_list_is_newest_first_by_default(auth_client, user):
    now = timezone.now()
    old = baker.make("items.Item", owner=user, created_at=now - timedelta(days=2))
    new = baker.make("items.Item", owner=user, created_at=now)
    middle = baker.make("items.Item", owner=user, created_at=now - timedelta(days=1))

    response = auth_client.get(ITEMS_URL)

    assert result_ids(response) == [str(new.pk), str(middle.pk), str(old.pk)]


def test_item_list_of_member_without_items_is_empty(auth_client, other_user):
    baker.make("items.Item", owner=other_user)

    response = auth_client.get(ITEMS_URL, {"count": "true"})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_item_retrieve_returns_the_whole_item_and_its_etag(auth_client, user):
    item = completed_item(user, title="Buy milk", description="Two litres")

    response = auth_client.get(item_url(item))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == item_body(item)
    assert response["ETag"] == entity_tag(item)


def test_item_put_replaces_every_field_and_resets_omitted_ones(auth_client, user):
    item = completed_item(user, title="Old", description="Old notes")

    response = auth_client.put(item_url(item), {"title": " New "}, format="json")

    assert response.status_code == 200
    row = stored(item)
    assert (row["title"], row["description"]) == ("New", "")
    assert (row["is_completed"], row["completed_at"]) == (False, None)
    assert response.json() == item_body(item)
    assert response["ETag"] == entity_tag(item)


def test_item_put_without_title_is_400_and_keeps_the_row(auth_client, user):
    item = baker.make("items.Item", owner=user, title="Old")
    before = stored(item)

    response = auth_client.put(item_url(item), {"description": "New"}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("title", "required")]
    assert stored(item) == before


def test_item_patch_changes_only_the_fields_sent(auth_client, user):
    item = completed_item(user, title="Old", description="Old notes")
    before = stored(item)

    response = auth_client.patch(item_url(item), {"description": "New notes"}, format="json")

    assert response.status_code == 200
    after = stored(item)
    assert after["description"] == "New notes"
    assert after["updated_at"] > before["updated_at"]
    unchanged = {key for key in before if key not in {"description", "updated_at"}}
    assert {key: after[key] for key in unchanged} == {key: before[key] for key in unchanged}
    assert response.json() == item_body(item)
    assert response["ETag"] == entity_tag(item)


def test_item_patch_with_empty_body_changes_nothing_but_updated_at(auth_client, user):
    item = baker.make("items.Item", owner=user, title="Old")
    before = stored(item)

    response = auth_client.patch(item_url(item), {}, format="json")

    assert response.status_code == 200
    after = stored(item)
    assert {**after, "updated_at": None} == {**before, "updated_at": None}


def test_item_delete_returns_204_and_the_item_is_gone(auth_client, user):
    item, kept = baker.make("items.Item", owner=user, _quantity=2)

    response = auth_client.delete(item_url(item))

    assert response.status_code == 204
    assert response.content == b""
    assert list(Item.objects.all()) == [kept]
    assert_problem(auth_client.get(item_url(item)), 404, "not_found")


def test_item_detail_of_unknown_id_is_404(auth_client):
    assert_problem(auth_client.get(item_url(uuid.uuid4())), 404, "not_found")


# --- completed_at follows is_completed ------------------------------------------------


def test_item_patch_completing_sets_completed_at(auth_client, user):
    item = baker.make("items.Item", owner=user)
    before = timezone.now()

    response = auth_client.patch(item_url(item), {"is_completed": True}, format="json")

    assert response.status_code == 200
    completed_at = stored(item)["completed_at"]
    assert before <= completed_at <= timezone.now()
    assert response.json()["completed_at"] == iso(completed_at)


def test_item_patch_reopening_clears_completed_at(auth_client, user):
    item = completed_item(user)

    response = auth_client.patch(item_url(item), {"is_completed": False}, format="json")

    assert response.status_code == 200
    assert response.json()["completed_at"] is None
    assert stored(item)["completed_at"] is None


@pytest.mark.parametrize(
    "body",
    [{"title": "Renamed"}, {"description": "More"}, {"is_completed": True}],
    ids=["title", "description", "completed-again"],
)
def test_item_patch_of_completed_item_keeps_completed_at(auth_client, user, body):
    item = completed_item(user)

    response = auth_client.patch(item_url(item), body, format="json")

    assert response.status_code == 200
    assert response.json()["completed_at"] == iso(LONG_AGO)
    assert stored(item)["completed_at"] == LONG_AGO


def test_item_put_keeping_completed_keeps_completed_at(auth_client, user):
    item = completed_item(user)

    response = auth_client.put(
        item_url(item), {"title": "Renamed", "is_completed": True}, format="json"
    )

    assert response.status_code == 200
    assert stored(item)["completed_at"] == LONG_AGO
