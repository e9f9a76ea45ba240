"""Who may read and write whose items: members, staff, granted permissions, superusers."""

import uuid

import pytest
from model_bakery import baker

from config.tests.helpers import result_ids
from items.models import Item
from items.tests.helpers import ITEMS_URL, assert_problem, item_url, stored
from resources.models import entity_tag

pytestmark = pytest.mark.django_db

REQUESTS = [
    ("get", None),
    ("put", {"title": "Mine now", "description": "Mine"}),
    ("patch", {"title": "Mine now"}),
    ("delete", None),
]
REQUEST_IDS = ["get", "put", "patch", "delete"]
WRITES = REQUESTS[1:]
WRITE_IDS = REQUEST_IDS[1:]


# --- members: another user's item does not exist for them (BOLA) ----------------------


@pytest.mark.parametrize(("method", "body"), REQUESTS, ids=REQUEST_IDS)
def test_item_detail_of_other_users_item_returns_404_and_keeps_the_row(
    auth_client, other_user, method, body
):
    item = baker.make("items.Item", owner=other_user, title="Theirs", description="Theirs")
    before = stored(item)

    response = getattr(auth_client, method)(item_url(item), body, format="json")

    assert_problem(response, 404, "not_found")
    assert stored(item) == before


@pytest.mark.parametrize(("method", "body"), REQUESTS, ids=REQUEST_IDS)
def test_item_detail_of_other_users_item_is_indistinguishable_from_a_missing_one(
    auth_client, other_user, method, body
):
    item = baker.make("items.Item", owner=other_user)

    theirs = getattr(auth_client, method)(item_url(item), body, format="json")
    missing = getattr(auth_client, method)(item_url(uuid.uuid4()), body, format="json")

    assert theirs.status_code == missing.status_code == 404
    ignore_request_id = {"request_id": None}
    assert {**theirs.json(), **ignore_request_id} == {**missing.json(), **ignore_request_id}


def test_item_detail_of_other_users_item_with_their_etag_is_still_404(auth_client, other_user):
    item = baker.make("items.Item", owner=other_user, title="Theirs")

    response = auth_client.patch(
        item_url(item), {"title": "Mine"}, format="json", HTTP_IF_MATCH=entity_tag(item)
    )

    assert_problem(response, 404, "not_found")
    assert stored(item)["title"] == "Theirs"


@pytest.mark.parametrize(("method", "body"), REQUESTS, ids=REQUEST_IDS)
@pytest.mark.parametrize("pk", ["not-a-uuid", "123", "11111111-1111-1111-1111-11111111111z"])
def test_item_detail_with_invalid_uuid_is_404(auth_client, method, body, pk):
    response = getattr(auth_client, method)(f"{ITEMS_URL}{pk}/", body, format="json")

    assert_problem(response, 404, "not_found")


def test_item_list_of_member_shows_only_their_items(auth_client, user, other_user):
    mine = baker.make("items.Item", owner=user)
    baker.make("items.Item", owner=other_user, _quantity=2)

    response = auth_client.get(ITEMS_URL, {"count": "true"})

    assert response.json()["count"] == 1
    assert result_ids(response) == [str(mine.pk)]


def test_item_list_of_member_filtered_by_other_owner_is_empty(auth_client, user, other_user):
    baker.make("items.Item", owner=user)
    baker.make("items.Item", owner=other_user, _quantity=2)

    response = auth_client.get(ITEMS_URL, {"owner": str(other_user.pk), "count": "true"})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


def test_item_list_of_member_filtered_by_own_id_shows_their_items(auth_client, user, other_user):
    mine = baker.make("items.Item", owner=user)
    baker.make("items.Item", owner=other_user)

    response = auth_client.get(ITEMS_URL, {"owner": str(user.pk)})

    assert result_ids(response) == [str(mine.pk)]


# --- staff: read everyone's, write only their own --------------------------------------


def test_item_list_of_staff_shows_every_users_items(client_for, staff_user, user, other_user):
    items = [baker.make("items.Item", owner=owner) for owner in (user, other_user, staff_user)]

    response = client_for(staff_user).get(ITEMS_URL, {"count": "true"})

    assert response.json()["count"] == 3
    assert set(result_ids(response)) == {str(item.pk) for item in items}


def test_item_list_of_staff_filtered_by_owner_shows_that_owners_items(
    client_for, staff_user, user, other_user
):
    theirs = baker.make("items.Item", owner=other_user, _quantity=2)
    baker.make("items.Item", owner=user)

    response = client_for(staff_user).get(
        ITEMS_URL, {"owner": str(other_user.pk), "count": "true"}
    )

    assert response.json()["count"] == 2
    assert set(result_ids(response)) == {str(item.pk) for item in theirs}


def test_item_list_of_staff_filtered_by_unknown_owner_is_empty(client_for, staff_user, user):
    baker.make("items.Item", owner=user)

    response = client_for(staff_user).get(ITEMS_URL, {"owner": str(uuid.uuid4()), "count": "true"})

    assert (response.json()["count"], response.json()["results"]) == (0, [])


def test_item_retrieve_of_other_users_item_by_staff_is_200(client_for, staff_user, user):
    item = baker.make("items.Item", owner=user)

    response = client_for(staff_user).get(item_url(item))

    assert response.status_code == 200
    assert response.json()["id"] == str(item.pk)
    assert response.json()["owner"] == str(user.pk)
    assert response["ETag"] == entity_tag(item)


@pytest.mark.parametrize(("method", "body"), WRITES, ids=WRITE_IDS)
def test_item_write_of_other_users_item_by_staff_is_403_and_keeps_the_row(
    client_for, staff_user, user, method, body
):
    item = baker.make("items.Item", owner=user, title="Theirs")
    before = stored(item)

    response = getattr(client_for(staff_user), method)(item_url(item), body, format="json")

    assert_problem(response, 403, "permission_denied")
    assert stored(item) == before


def test_item_patch_of_own_item_by_staff_is_200(client_for, staff_user):
    item = baker.make("items.Item", owner=staff_user, title="Old")

    response = client_for(staff_user).patch(item_url(item), {"title": "New"}, format="json")

    assert response.status_code == 200
    assert stored(item)["title"] == "New"


def test_item_create_by_staff_is_owned_by_the_staff_user(client_for, staff_user):
    response = client_for(staff_user).post(ITEMS_URL, {"title": "Mine"}, format="json")

    assert response.status_code == 201
    assert Item.objects.get().owner_id == staff_user.pk


def test_item_list_of_staff_removed_from_the_group_is_their_own_again(
    client_for, staff_user, user
):
    baker.make("items.Item", owner=user)
    client = client_for(staff_user)
    assert client.get(ITEMS_URL, {"count": "true"}).json()["count"] == 1

    staff_user.groups.clear()

    assert client.get(ITEMS_URL, {"count": "true"}).json()["count"] == 0


# --- granted model permissions --------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_item_update_of_other_users_item_with_change_permission_is_200(
    client_for, staff_user, user, grant, method
):
    item = baker.make("items.Item", owner=user, title="Theirs")
    grant(staff_user, "change_item")

    response = getattr(client_for(staff_user), method)(
        item_url(item), {"title": "Edited"}, format="json"
    )

    assert response.status_code == 200
    row = stored(item)
    assert row["title"] == "Edited"
    assert row["owner_id"] == user.pk


def test_item_delete_of_other_users_item_with_delete_permission_is_204(
    client_for, staff_user, user, grant
):
    item = baker.make("items.Item", owner=user)
    grant(staff_user, "delete_item")

    response = client_for(staff_user).delete(item_url(item))

    assert response.status_code == 204
    assert not Item.objects.filter(pk=item.pk).exists()


def test_item_delete_of_other_users_item_with_only_change_permission_is_403(
    client_for, staff_user, user, grant
):
    item = baker.make("items.Item", owner=user)
    grant(staff_user, "change_item")

    response = client_for(staff_user).delete(item_url(item))

    assert_problem(response, 403, "permission_denied")
    assert Item.objects.filter(pk=item.pk).exists()


def test_item_patch_of_other_users_item_with_only_delete_permission_is_403(
    client_for, staff_user, user, grant
):
    item = baker.make("items.Item", owner=user, title="Theirs")
    grant(staff_user, "delete_item")

    response = client_for(staff_user).patch(item_url(item), {"title": "Edited"}, format="json")

    assert_problem(response, 403, "permission_denied")
    assert stored(item)["title"] == "Theirs"


@pytest.mark.parametrize(("method", "body"), REQUESTS, ids=REQUEST_IDS)
def test_item_detail_of_other_users_item_with_direct_permissions_is_allowed(
    client_for, other_user, user, grant, method, body
):
    # A member granted the permissions directly, without the Staff group.
    item = baker.make("items.Item", owner=user, title="Theirs")
    grant(other_user, "view_item", "change_item", "delete_item")

    response = getattr(client_for(other_user), method)(item_url(item), body, format="json")

    assert response.status_code == (204 if method == "delete" else 200)
    row = Item.objects.filter(pk=item.pk).values("title", "owner_id").first()
    if method == "delete":
        assert row is None
    elif method != "get":
        assert row == {"title": "Mine now", "owner_id": user.pk}


# --- superuser ------------------------------------------------------------------------


def test_item_list_of_superuser_shows_every_users_items(client_for, superuser, user, other_user):
    baker.make("items.Item", owner=user)
    baker.make("items.Item", owner=other_user)

    response = client_for(superuser).get(ITEMS_URL, {"owner": str(other_user.pk), "count": "true"})
    everything = client_for(superuser).get(ITEMS_URL, {"count": "true"})

    assert response.json()["count"] == 1
    assert everything.json()["count"] == 2


@pytest.mark.parametrize(("method", "body"), REQUESTS, ids=REQUEST_IDS)
def test_item_detail_of_other_users_item_by_superuser_is_allowed(
    client_for, superuser, user, method, body
):
    item = baker.make("items.Item", owner=user, title="Theirs")

    response = getattr(client_for(superuser), method)(item_url(item), body, format="json")

    assert response.status_code == (204 if method == "delete" else 200)
    row = Item.objects.filter(pk=item.pk).values("title", "owner_id").first()
    if method == "delete":
        assert row is None
    elif method == "get":
        assert row == {"title": "Theirs", "owner_id": user.pk}
    else:
        assert row == {"title": "Mine now", "owner_id": user.pk}
