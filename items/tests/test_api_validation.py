"""Invalid item bodies are 400 problems; server-owned fields in a body are ignored."""

import pytest
from django.utils import timezone
from model_bakery import baker

from items.models import Item
from items.tests.helpers import ITEMS_URL, assert_problem, error_pairs, item_body, item_url, stored

pytestmark = pytest.mark.django_db


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
        ({"title": 0}, "title", "invalid"),
        ({"title": "ok", "is_completed": 0}, "is_completed", "invalid"),
        ({"title": "ok", "is_completed": "true"}, "is_completed", "invalid"),
        ({"title": "ok", "description": False}, "description", "invalid"),
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
        "title-a-number",
        "is-completed-a-number",
        "is-completed-a-string",
        "description-a-boolean",
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


def test_item_create_reports_a_wrong_json_type_with_the_other_mistakes(auth_client):
    response = auth_client.post(ITEMS_URL, {"title": "", "is_completed": 1}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert sorted(error_pairs(body)) == [("is_completed", "invalid"), ("title", "blank")]
    assert body["errors"][0]["detail"] in {
        "Must be true or false.",
        "This field may not be blank.",
    }


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
