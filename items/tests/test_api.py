import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from model_bakery import baker

from items import services
from items.models import Item
from items.tests.helpers import (
    ITEMS_URL,
    assert_problem,
    error_pairs,
    iso,
    item_url,
    result_ids,
    stored,
)
from resources.models import entity_tag

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=30)


def item_body(item: Item) -> dict:
    """The whole API representation of the item as stored now."""
    item.refresh_from_db()
    return {
        "id": str(item.pk),
        "owner": str(item.owner_id),
        "title": item.title,
        "description": item.description,
        "is_completed": item.is_completed,
        "completed_at": iso(item.completed_at),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
    }


def completed_item(owner, **fields) -> Item:
    return baker.make(
        "items.Item", owner=owner, is_completed=True, completed_at=LONG_AGO, **fields
    )


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
        "count": 1,
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

    response = auth_client.get(ITEMS_URL)

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


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({}, "title", "required"),
        ({"description": "No title"}, "title", "required"),
        ({"title": ""}, "title", "blank"),
        ({"title": "   \t "}, "title", "blank"),
        ({"title": None}, "title", "null"),
        ({"title": "x" * 201}, "title", "max_length"),
        ({"title": "ok", "description": "x" * 5001}, "description", "max_length"),
        ({"title": "ok", "is_completed": "banana"}, "is_completed", "invalid"),
        ({"title": ["a", "list"]}, "title", "invalid"),
    ],
    ids=[
        "empty-body",
        "missing-title",
        "empty-title",
        "whitespace-title",
        "null-title",
        "title-201-chars",
        "description-5001-chars",
        "is-completed-banana",
        "title-not-a-string",
    ],
)
def test_item_create_invalid_field_is_400_with_attr_and_code(auth_client, body, attr, code):
    response = auth_client.post(ITEMS_URL, body, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [(attr, code)]
    assert not Item.objects.exists()


def test_item_create_with_several_invalid_fields_lists_each(auth_client):
    response = auth_client.post(ITEMS_URL, {"title": "", "is_completed": "banana"}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert sorted(error_pairs(body)) == [("is_completed", "invalid"), ("title", "blank")]
    assert body["detail"] == "The input is not valid."


def test_item_create_accepts_title_and_description_at_their_maximum_length(auth_client):
    response = auth_client.post(
        ITEMS_URL, {"title": "x" * 200, "description": "y" * 5000}, format="json"
    )

    assert response.status_code == 201
    item = Item.objects.get()
    assert (len(item.title), len(item.description)) == (200, 5000)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("[1, 2]", "invalid"), ('"Buy milk"', "invalid"), ("42", "invalid"), ("null", "null")],
    ids=["list", "string", "number", "null"],
)
def test_item_create_with_non_object_json_is_400_without_attr(auth_client, raw, code):
    response = auth_client.post(ITEMS_URL, data=raw, content_type="application/json")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [(None, code)]
    assert not Item.objects.exists()


def test_item_create_with_malformed_json_is_400_parse_error(auth_client):
    response = auth_client.post(ITEMS_URL, data='{"title": "Buy', content_type="application/json")

    assert_problem(response, 400, "parse_error")
    assert not Item.objects.exists()


def test_item_patch_with_blank_title_is_400_and_keeps_the_row(auth_client, user):
    item = baker.make("items.Item", owner=user, title="Keep me")
    before = stored(item)

    response = auth_client.patch(item_url(item), {"title": "  "}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("title", "blank")]
    assert stored(item) == before


def test_item_patch_with_non_object_json_is_400_and_keeps_the_row(auth_client, user):
    item = baker.make("items.Item", owner=user)
    before = stored(item)

    response = auth_client.patch(item_url(item), data="[]", content_type="application/json")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [(None, "invalid")]
    assert stored(item) == before


# --- mass assignment ------------------------------------------------------------------

SERVER_OWNED = {
    "id": "11111111-1111-4111-8111-111111111111",
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
    "completed_at": "2000-01-01T00:00:00Z",
}


def test_item_create_ignores_server_owned_fields_in_the_body(auth_client, user, other_user):
    before = timezone.now()

    response = auth_client.post(
        ITEMS_URL,
        {"title": "Buy milk", "owner": str(other_user.pk), **SERVER_OWNED},
        format="json",
    )

    assert response.status_code == 201
    item = Item.objects.get()
    assert str(item.pk) != SERVER_OWNED["id"]
    assert item.owner_id == user.pk
    assert before <= item.created_at <= item.updated_at <= timezone.now()
    assert item.completed_at is None
    assert response.json() == item_body(item)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_item_update_ignores_server_owned_fields_in_the_body(
    auth_client, user, other_user, method
):
    item = baker.make("items.Item", owner=user, title="Old")
    before = stored(item)

    response = getattr(auth_client, method)(
        item_url(item),
        {"title": "New", "owner": str(other_user.pk), **SERVER_OWNED},
        format="json",
    )

    assert response.status_code == 200
    after = stored(item)
    assert after["title"] == "New"
    assert after["id"] == before["id"]
    assert after["owner_id"] == user.pk
    assert after["created_at"] == before["created_at"]
    assert after["completed_at"] is None
    assert after["updated_at"] > before["updated_at"]
    assert not Item.objects.filter(pk=SERVER_OWNED["id"]).exists()


# --- ETags and conditional requests ---------------------------------------------------


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


# --- authentication -------------------------------------------------------------------


def test_item_list_anonymous_is_401(api_client, user):
    baker.make("items.Item", owner=user)

    response = api_client.get(ITEMS_URL)

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_item_detail_anonymous_is_401_and_keeps_the_row(api_client, user, method):
    item = baker.make("items.Item", owner=user, title="Old")
    before = stored(item)

    response = getattr(api_client, method)(item_url(item), {"title": "New"}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert stored(item) == before


def test_item_create_anonymous_is_401_and_stores_nothing(api_client):
    response = api_client.post(ITEMS_URL, {"title": "Buy milk"}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert not Item.objects.exists()


def test_item_list_with_garbage_token_is_401(api_client):
    response = api_client.get(ITEMS_URL, HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert_problem(response, 401, "token_not_valid")


def test_item_list_of_deactivated_user_is_401(auth_client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = auth_client.get(ITEMS_URL)

    assert_problem(response, 401, "user_inactive")


# --- query counts ---------------------------------------------------------------------


def without_savepoints(captured: CaptureQueriesContext) -> list[str]:
    # Inside a test's transaction, atomic blocks become SAVEPOINT/RELEASE statements
    # that a request outside a test would not send.
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


@pytest.mark.parametrize("count", [1, 100])
def test_item_list_of_member_takes_three_queries_whatever_the_page_size(
    auth_client, user, django_assert_num_queries, count
):
    # Authentication (with the roles hint), the count and the page.
    baker.make("items.Item", owner=user, _quantity=count)

    with django_assert_num_queries(3):
        response = auth_client.get(ITEMS_URL, {"page_size": 100})

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [1, 100])
def test_item_list_of_staff_takes_the_same_queries_whatever_the_page_size(
    client_for, staff_user, user, django_assert_num_queries, count
):
    # Staff also load their permissions once: two more queries, never one per item.
    baker.make("items.Item", owner=user, _quantity=count)

    with django_assert_num_queries(5):
        response = client_for(staff_user).get(ITEMS_URL, {"page_size": 100})

    assert len(response.json()["results"]) == count


def test_item_retrieve_takes_at_most_two_queries(auth_client, user, django_assert_max_num_queries):
    item = baker.make("items.Item", owner=user)

    with django_assert_max_num_queries(2):
        response = auth_client.get(item_url(item))

    assert response.status_code == 200


def test_item_create_takes_at_most_two_queries(auth_client):
    with CaptureQueriesContext(connection) as captured:
        response = auth_client.post(ITEMS_URL, {"title": "Buy milk"}, format="json")

    assert response.status_code == 201
    assert len(without_savepoints(captured)) <= 2


def test_item_patch_takes_at_most_three_queries(auth_client, user):
    item = baker.make("items.Item", owner=user)

    with CaptureQueriesContext(connection) as captured:
        response = auth_client.patch(item_url(item), {"title": "New"}, format="json")

    assert response.status_code == 200
    assert len(without_savepoints(captured)) <= 3


def test_item_delete_takes_at_most_three_queries(auth_client, user):
    item = baker.make("items.Item", owner=user)

    with CaptureQueriesContext(connection) as captured:
        response = auth_client.delete(item_url(item))

    assert response.status_code == 204
    assert len(without_savepoints(captured)) <= 3


def test_item_detail_of_unknown_id_is_404(auth_client):
    assert_problem(auth_client.get(item_url(uuid.uuid4())), 404, "not_found")
