"""Writing over GraphQL: REST's validation, services, permissions and preconditions."""

import pytest
from django.contrib.auth.models import Permission
from model_bakery import baker

from graphql_api.tests.helpers import data, failures, field_errors, run
from items.models import Item
from storage.models import StoredFile
from storage.tests.helpers import object_exists, stored_file_make

pytestmark = pytest.mark.django_db

CREATE = """mutation($input: CreateItemInput!) {
  createItem(input: $input) { item { id ownerId title description isCompleted completedAt etag } }
}"""
UPDATE = """mutation($input: UpdateItemInput!) {
  updateItem(input: $input) { item { id title isCompleted completedAt etag } }
}"""
DELETE = "mutation($input: DeleteItemInput!) { deleteItem(input: $input) { id } }"
DELETE_FILE = "mutation($input: DeleteFileInput!) { deleteFile(input: $input) { id } }"


# --- createItem --------------------------------------------------------------------------


def test_create_item_stores_it_through_the_service(auth_client, user):
    created = data(
        run(auth_client, CREATE, {"input": {"title": "  Buy milk ", "description": "2 l"}})
    )

    item = Item.objects.get()
    assert created["createItem"]["item"] == {
        "id": str(item.pk), "ownerId": str(user.pk), "title": "Buy milk", "description": "2 l",
        "isCompleted": False, "completedAt": None,
        "etag": auth_client.get(f"/api/v1/items/{item.pk}/")["ETag"],
    }  # fmt: skip
    assert item.owner == user


def test_create_item_completed_sets_the_completion_time(auth_client):
    created = data(run(auth_client, CREATE, {"input": {"title": "Done", "isCompleted": True}}))

    assert created["createItem"]["item"]["completedAt"] is not None
    assert Item.objects.get().completed_at is not None


@pytest.mark.parametrize(
    ("item_input", "expected"),
    [
        ({"title": "   "}, [("input.title", "blank")]),
        ({"title": "x" * 201}, [("input.title", "max_length")]),
        ({"title": "ok", "description": "x" * 5001}, [("input.description", "max_length")]),
        ({"title": "ok", "description": None}, [("input.description", "null")]),
        (
            {"title": "", "isCompleted": None},
            [("input.title", "blank"), ("input.isCompleted", "null")],
        ),
    ],
)
def test_create_item_input_is_validated_as_rest_validates_it(auth_client, item_input, expected):
    response = run(auth_client, CREATE, {"input": item_input})

    assert response.status_code == 200
    assert response.json()["data"] == {"createItem": None}
    assert sorted(field_errors(response)) == sorted(expected)
    assert not Item.objects.exists()


def test_create_item_without_a_title_is_refused_before_running(auth_client):
    response = run(auth_client, CREATE, {"input": {"description": "no title"}})

    assert response.status_code == 400
    assert failures(response) == [(None, "graphql_validation_failed")]


# --- updateItem --------------------------------------------------------------------------


def test_update_item_changes_only_the_fields_given(auth_client, user):
    item = baker.make(Item, owner=user, title="Old", description="kept")

    updated = data(run(auth_client, UPDATE, {"input": {"id": str(item.pk), "isCompleted": True}}))

    item.refresh_from_db()
    assert updated["updateItem"]["item"]["title"] == "Old"
    assert updated["updateItem"]["item"]["isCompleted"] is True
    assert (item.title, item.description, item.is_completed) == ("Old", "kept", True)
    assert item.completed_at is not None


def test_update_item_with_the_current_etag_succeeds_and_returns_the_new_one(auth_client, user):
    item = baker.make(Item, owner=user, title="Old")
    etag = auth_client.get(f"/api/v1/items/{item.pk}/")["ETag"]

    updated = data(
        run(auth_client, UPDATE, {"input": {"id": str(item.pk), "title": "New", "ifMatch": etag}})
    )

    new_etag = updated["updateItem"]["item"]["etag"]
    assert new_etag != etag
    assert new_etag == auth_client.get(f"/api/v1/items/{item.pk}/")["ETag"]


def test_update_item_with_a_stale_etag_is_precondition_failed_and_writes_nothing(
    auth_client, user
):
    item = baker.make(Item, owner=user, title="Old")
    stale = auth_client.get(f"/api/v1/items/{item.pk}/")["ETag"]
    auth_client.patch(f"/api/v1/items/{item.pk}/", {"title": "Changed by REST"})

    response = run(
        auth_client, UPDATE, {"input": {"id": str(item.pk), "title": "Mine", "ifMatch": stale}}
    )

    assert response.status_code == 200
    assert response.json()["data"] == {"updateItem": None}
    assert failures(response) == [("updateItem", "precondition_failed")]
    assert response.json()["errors"][0]["extensions"]["status"] == 412
    item.refresh_from_db()
    assert item.title == "Changed by REST"


def test_update_item_if_match_star_matches_any_version(auth_client, user):
    item = baker.make(Item, owner=user, title="Old")

    data(run(auth_client, UPDATE, {"input": {"id": str(item.pk), "title": "New", "ifMatch": "*"}}))

    item.refresh_from_db()
    assert item.title == "New"


def test_update_item_if_match_that_names_no_tag_is_a_validation_error(auth_client, user):
    item = baker.make(Item, owner=user, title="Old")

    response = run(
        auth_client, UPDATE, {"input": {"id": str(item.pk), "title": "New", "ifMatch": "abc"}}
    )

    assert field_errors(response) == [("input.ifMatch", "invalid")]
    item.refresh_from_db()
    assert item.title == "Old"


def test_update_item_validates_like_rest_patch(auth_client, user):
    item = baker.make(Item, owner=user, title="Old")

    response = run(auth_client, UPDATE, {"input": {"id": str(item.pk), "title": None}})

    assert field_errors(response) == [("input.title", "null")]


def test_update_item_of_another_user_is_not_found(auth_client, other_user):
    theirs = baker.make(Item, owner=other_user, title="Theirs")

    response = run(auth_client, UPDATE, {"input": {"id": str(theirs.pk), "title": "Mine now"}})

    assert failures(response) == [("updateItem", "not_found")]
    assert response.json()["errors"][0]["extensions"]["status"] == 404
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"


def test_staff_may_read_but_not_change_anothers_item(client_for, staff_user, user):
    item = baker.make(Item, owner=user, title="A member's")
    staff = client_for(staff_user)

    assert (
        data(run(staff, f'{{ item(id: "{item.pk}") {{ title }} }}'))["item"]["title"]
        == "A member's"
    )
    update = run(staff, UPDATE, {"input": {"id": str(item.pk), "title": "Staff edit"}})
    delete = run(staff, DELETE, {"input": {"id": str(item.pk)}})

    assert failures(update) == [("updateItem", "permission_denied")]
    assert failures(delete) == [("deleteItem", "permission_denied")]
    item.refresh_from_db()
    assert item.title == "A member's"


def test_staff_with_the_change_permission_may_change_it(client_for, staff_user, user):
    staff_user.user_permissions.add(Permission.objects.get(codename="change_item"))
    item = baker.make(Item, owner=user, title="A member's")

    data(run(client_for(staff_user), UPDATE, {"input": {"id": str(item.pk), "title": "Fixed"}}))

    item.refresh_from_db()
    assert item.title == "Fixed"


# --- deleteItem, deleteFile --------------------------------------------------------------


def test_delete_item_deletes_it(auth_client, user):
    item = baker.make(Item, owner=user)

    assert data(run(auth_client, DELETE, {"input": {"id": str(item.pk)}})) == {
        "deleteItem": {"id": str(item.pk)}
    }
    assert not Item.objects.exists()


def test_delete_item_with_a_stale_etag_keeps_it(auth_client, user):
    item = baker.make(Item, owner=user)
    stale = auth_client.get(f"/api/v1/items/{item.pk}/")["ETag"]
    auth_client.patch(f"/api/v1/items/{item.pk}/", {"title": "Changed"})

    response = run(auth_client, DELETE, {"input": {"id": str(item.pk), "ifMatch": stale}})

    assert failures(response) == [("deleteItem", "precondition_failed")]
    assert Item.objects.exists()


def test_delete_item_of_another_user_is_not_found(auth_client, other_user):
    theirs = baker.make(Item, owner=other_user)

    response = run(auth_client, DELETE, {"input": {"id": str(theirs.pk)}})

    assert failures(response) == [("deleteItem", "not_found")]
    assert Item.objects.filter(pk=theirs.pk).exists()


def test_delete_file_removes_the_row_and_the_object_after_commit(
    auth_client, user, django_capture_on_commit_callbacks
):
    stored_file = stored_file_make(user)

    with django_capture_on_commit_callbacks(execute=True):
        deleted = data(run(auth_client, DELETE_FILE, {"input": {"id": str(stored_file.pk)}}))

    assert deleted == {"deleteFile": {"id": str(stored_file.pk)}}
    assert not StoredFile.objects.exists()
    assert not object_exists(stored_file.object_key)


def test_delete_file_of_another_user_is_not_found(auth_client, other_user):
    theirs = stored_file_make(other_user)

    response = run(auth_client, DELETE_FILE, {"input": {"id": str(theirs.pk)}})

    assert failures(response) == [("deleteFile", "not_found")]
    assert object_exists(theirs.object_key)


def test_mutations_in_one_request_run_in_order_and_each_answers_for_itself(
    auth_client, user, other_user
):
    theirs = baker.make(Item, owner=other_user)
    query = f"""mutation {{
      a: createItem(input: {{title: "first"}}) {{ item {{ title }} }}
      b: deleteItem(input: {{id: "{theirs.pk}"}}) {{ id }}
      c: createItem(input: {{title: "second"}}) {{ item {{ title }} }}
    }}"""

    response = run(auth_client, query)

    assert response.json()["data"] == {
        "a": {"item": {"title": "first"}}, "b": None, "c": {"item": {"title": "second"}},
    }  # fmt: skip
    assert failures(response) == [("b", "not_found")]
    assert sorted(Item.objects.filter(owner=user).values_list("title", flat=True)) == [
        "first", "second",
    ]  # fmt: skip
