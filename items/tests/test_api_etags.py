"""ETags on items: 304 on a matching If-None-Match, 412 on a stale If-Match."""

import pytest
from model_bakery import baker

from items import services
from items.models import Item
from items.tests.helpers import assert_problem, item_body, item_url, stored
from resources.models import entity_tag

pytestmark = pytest.mark.django_db


def test_item_retrieve_with_matching_if_none_match_is_304_without_body(auth_client, user):
    item = baker.make("items.Item", owner=user)

    response = auth_client.get(item_url(item), HTTP_IF_NONE_MATCH=entity_tag(item))

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == entity_tag(item)


@pytest.mark.parametrize(
    "header",
    ['"stale", {etag}', "W/{etag}", "*"],
    ids=["in-a-list", "weak-form", "wildcard"],
)
def test_item_retrieve_with_if_none_match_forms_that_match_is_304(auth_client, user, header):
    # If-None-Match compares weakly (RFC 9110 13.1.2); proxies may weaken the tag.
    item = baker.make("items.Item", owner=user)

    response = auth_client.get(
        item_url(item), HTTP_IF_NONE_MATCH=header.format(etag=entity_tag(item))
    )

    assert response.status_code == 304
    assert response.content == b""


def test_item_retrieve_with_other_if_none_match_is_200_with_body(auth_client, user):
    item = baker.make("items.Item", owner=user)

    response = auth_client.get(item_url(item), HTTP_IF_NONE_MATCH='"some-other-version"')

    assert response.status_code == 200
    assert response.json() == item_body(item)
    assert response["ETag"] == entity_tag(item)


def test_item_retrieve_after_a_change_with_old_etag_is_200(auth_client, user):
    item = baker.make("items.Item", owner=user, title="Old")
    old_etag = entity_tag(item)
    services.item_update(item=item, data={"title": "New"})

    response = auth_client.get(item_url(item), HTTP_IF_NONE_MATCH=old_etag)

    assert response.status_code == 200
    assert response.json()["title"] == "New"


def test_item_retrieve_of_other_users_item_with_its_etag_is_404_not_304(auth_client, other_user):
    item = baker.make("items.Item", owner=other_user)

    response = auth_client.get(item_url(item), HTTP_IF_NONE_MATCH=entity_tag(item))

    assert_problem(response, 404, "not_found")


WRITES = [
    ("put", {"title": "Mine", "description": "Mine"}),
    ("patch", {"title": "Mine"}),
    ("delete", None),
]
WRITE_IDS = ["put", "patch", "delete"]


@pytest.mark.parametrize(("method", "body"), WRITES, ids=WRITE_IDS)
def test_item_write_with_stale_if_match_is_412_and_keeps_the_row(auth_client, user, method, body):
    item = baker.make("items.Item", owner=user, title="Old")
    stale_etag = entity_tag(item)
    services.item_update(item=Item.objects.get(pk=item.pk), data={"title": "Theirs"})
    before = stored(item)

    response = getattr(auth_client, method)(
        item_url(item), body, format="json", HTTP_IF_MATCH=stale_etag
    )

    body = assert_problem(response, 412, "precondition_failed")
    assert body["title"] == "Precondition Failed"
    assert stored(item) == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_item_update_with_current_if_match_succeeds_with_a_new_etag(auth_client, user, method):
    item = baker.make("items.Item", owner=user, title="Old")
    etag = auth_client.get(item_url(item))["ETag"]

    response = getattr(auth_client, method)(
        item_url(item), {"title": "New"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    assert stored(item)["title"] == "New"
    assert response["ETag"] != etag
    assert response["ETag"] == auth_client.get(item_url(item))["ETag"]


def test_item_delete_with_current_if_match_is_204(auth_client, user):
    item = baker.make("items.Item", owner=user)

    response = auth_client.delete(item_url(item), HTTP_IF_MATCH=entity_tag(item))

    assert response.status_code == 204
    assert not Item.objects.filter(pk=item.pk).exists()


def test_item_write_with_one_matching_tag_in_if_match_list_succeeds(auth_client, user):
    item = baker.make("items.Item", owner=user, title="Old")

    response = auth_client.patch(
        item_url(item),
        {"title": "New"},
        format="json",
        HTTP_IF_MATCH=f'"stale", {entity_tag(item)}',
    )

    assert response.status_code == 200
    assert stored(item)["title"] == "New"


@pytest.mark.parametrize(("method", "body"), WRITES, ids=WRITE_IDS)
def test_item_write_with_if_match_wildcard_succeeds(auth_client, user, method, body):
    item = baker.make("items.Item", owner=user, title="Old")

    response = getattr(auth_client, method)(item_url(item), body, format="json", HTTP_IF_MATCH="*")

    if method == "delete":
        assert response.status_code == 204
        assert not Item.objects.filter(pk=item.pk).exists()
    else:
        assert response.status_code == 200
        assert stored(item)["title"] == "Mine"


def test_item_write_with_weak_if_match_is_412(auth_client, user):
    # If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches.
    item = baker.make("items.Item", owner=user, title="Old")

    response = auth_client.patch(
        item_url(item), {"title": "New"}, format="json", HTTP_IF_MATCH=f"W/{entity_tag(item)}"
    )

    assert_problem(response, 412, "precondition_failed")
    assert stored(item)["title"] == "Old"


def test_item_etag_of_a_successful_write_makes_the_old_one_stale(auth_client, user):
    item = baker.make("items.Item", owner=user, title="Old")
    first_etag = entity_tag(item)
    first = auth_client.patch(
        item_url(item), {"title": "Second"}, format="json", HTTP_IF_MATCH=first_etag
    )
    assert first.status_code == 200

    again = auth_client.patch(
        item_url(item), {"title": "Third"}, format="json", HTTP_IF_MATCH=first_etag
    )

    assert_problem(again, 412, "precondition_failed")
    assert stored(item)["title"] == "Second"
    assert auth_client.get(item_url(item), HTTP_IF_NONE_MATCH=first_etag).status_code == 200


def test_item_write_with_stale_if_match_and_invalid_body_reports_validation_first(
    auth_client, user
):
    item = baker.make("items.Item", owner=user, title="Old")

    response = auth_client.patch(
        item_url(item), {"title": ""}, format="json", HTTP_IF_MATCH='"stale"'
    )

    assert_problem(response, 400, "validation_error")
    assert stored(item)["title"] == "Old"
