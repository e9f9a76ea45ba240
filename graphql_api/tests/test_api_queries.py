"""Reading over GraphQL: the same objects, fields and scoping as the REST API."""

from datetime import timedelta

import pytest
from django.utils import timezone
from model_bakery import baker

from graphql_api.tests.helpers import data, failures, field_errors, run
from items.models import Item
from storage.models import StoredFile
from storage.tests.helpers import stored_file_make

pytestmark = pytest.mark.django_db

ITEM_FIELDS = "id ownerId title description isCompleted completedAt createdAt updatedAt etag"
FILE_FIELDS = "id ownerId filename size contentType sha256 status createdAt etag"


def titles(connection: dict) -> list[str]:
    return [edge["node"]["title"] for edge in connection["edges"]]


# --- me ---------------------------------------------------------------------------------


def test_me_is_the_account_rest_shows(auth_client, user):
    rest = auth_client.get("/api/v1/auth/me/").json()

    me = data(run(auth_client, "{ me { id email firstName lastName emailVerified dateJoined } }"))

    assert me == {"me": {
        "id": rest["id"], "email": rest["email"], "firstName": rest["first_name"],
        "lastName": rest["last_name"], "emailVerified": rest["email_verified"],
        "dateJoined": rest["date_joined"],
    }}  # fmt: skip


# --- items ------------------------------------------------------------------------------


def test_item_has_the_rest_representation_and_etag(auth_client, user):
    item = baker.make(Item, owner=user, title="Buy milk", description="2 litres")
    rest = auth_client.get(f"/api/v1/items/{item.pk}/")

    node = data(run(auth_client, f'{{ item(id: "{item.pk}") {{ {ITEM_FIELDS} }} }}'))["item"]

    body = rest.json()
    assert node == {
        "id": body["id"], "ownerId": body["owner"], "title": body["title"],
        "description": body["description"], "isCompleted": body["is_completed"],
        "completedAt": body["completed_at"], "createdAt": body["created_at"],
        "updatedAt": body["updated_at"], "etag": rest["ETag"],
    }  # fmt: skip


def test_item_of_another_user_is_null_without_an_error(auth_client, other_user):
    theirs = baker.make(Item, owner=other_user)

    assert data(run(auth_client, f'{{ item(id: "{theirs.pk}") {{ id title }} }}')) == {
        "item": None
    }


def test_items_lists_only_your_own_newest_first(auth_client, user, other_user):
    now = timezone.now()
    for days, title in ((2, "older"), (1, "newer")):
        baker.make(Item, owner=user, title=title, created_at=now - timedelta(days=days))
    baker.make(Item, owner=other_user, title="theirs")

    items = data(run(auth_client, "{ items { totalCount edges { node { title } } } }"))["items"]

    assert titles(items) == ["newer", "older"]
    assert items["totalCount"] == 2


def test_staff_read_everyones_items_with_their_owners(client_for, staff_user, user):
    baker.make(Item, owner=user, title="a member's")

    items = data(
        run(client_for(staff_user), "{ items { edges { node { title owner { email } } } } }")
    )["items"]

    assert items["edges"] == [{"node": {"title": "a member's", "owner": {"email": user.email}}}]


def test_a_members_owner_is_their_own_account(auth_client, user):
    baker.make(Item, owner=user)

    items = data(run(auth_client, "{ items { edges { node { owner { id email } } } } }"))["items"]

    assert items["edges"] == [{"node": {"owner": {"id": str(user.pk), "email": user.email}}}]


def test_staff_without_the_users_permission_get_a_null_owner(client_for, django_user_model, user):
    reader = django_user_model.objects.create(email="reader@example.com")
    reader.user_permissions.add(*_permissions("items", "view_item"))
    baker.make(Item, owner=user)

    items = data(
        run(client_for(reader), "{ items { edges { node { ownerId owner { email } } } } }")
    )

    assert items["items"]["edges"] == [{"node": {"ownerId": str(user.pk), "owner": None}}]


def _permissions(app_label: str, codename: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label=app_label, codename=codename)


# --- filters and ordering: REST's FilterSets -------------------------------------------


def test_items_filter_like_rest(auth_client, user):
    baker.make(
        Item, owner=user, title="Call the bank", is_completed=True, completed_at=timezone.now()
    )
    baker.make(Item, owner=user, title="Bank holiday")
    baker.make(Item, owner=user, title="Groceries", description="bank on it")
    query = "query($f: ItemFilter) { items(filter: $f) { edges { node { title } } } }"

    done = data(run(auth_client, query, {"f": {"isCompleted": True}}))["items"]
    bank = data(run(auth_client, query, {"f": {"search": "bank", "isCompleted": False}}))["items"]

    assert titles(done) == ["Call the bank"]
    assert sorted(titles(bank)) == ["Bank holiday", "Groceries"]


def test_items_filter_by_creation_moment(auth_client, user):
    now = timezone.now()
    baker.make(Item, owner=user, title="old", created_at=now - timedelta(days=10))
    baker.make(Item, owner=user, title="new", created_at=now)
    since = (now - timedelta(days=1)).isoformat()

    items = data(
        run(auth_client, "query($at: DateTime) { items(filter: {createdAfter: $at}) "
            "{ edges { node { title } } } }", {"at": since})
    )["items"]  # fmt: skip

    assert titles(items) == ["new"]


def test_items_order_by_several_keys(auth_client, user):
    for title, done in (("b", False), ("a", True), ("c", True)):
        baker.make(Item, owner=user, title=title, is_completed=done,
                   completed_at=timezone.now() if done else None)  # fmt: skip
    query = "{ items(order: [{field: TITLE, direction: DESC}]) { edges { node { title } } } }"

    assert titles(data(run(auth_client, query))["items"]) == ["c", "b", "a"]
    ascending = "{ items(order: [{field: TITLE}]) { edges { node { title } } } }"
    assert titles(data(run(auth_client, ascending))["items"]) == ["a", "b", "c"]


def test_a_filter_rest_refuses_is_a_validation_error_at_its_path(auth_client):
    response = run(auth_client, '{ items(filter: {search: "%s"}) { totalCount } }' % ("x" * 201))

    assert response.status_code == 200
    assert response.json()["data"] == {"items": None}
    assert failures(response) == [("items", "validation_error")]
    assert field_errors(response) == [("filter.search", "max_length")]


def test_a_moment_outside_the_storable_years_is_a_validation_error(auth_client):
    query = '{ items(filter: {createdAfter: "0001-01-01T00:00:00+05:00"}) { totalCount } }'

    response = run(auth_client, query)

    assert field_errors(response) == [("filter.createdAfter", "invalid")]


def test_a_moment_that_is_not_iso_8601_is_refused_before_running(auth_client):
    response = run(auth_client, '{ items(filter: {createdAfter: "yesterday"}) { totalCount } }')

    assert response.status_code == 400
    assert failures(response) == [(None, "graphql_validation_failed")]


def test_a_moment_given_as_a_number_is_refused_before_running(auth_client):
    query = "query($at: DateTime) { items(filter: {createdAfter: $at}) { totalCount } }"

    response = run(auth_client, query, {"at": 1767225600})

    assert response.status_code == 400
    assert failures(response) == [(None, "graphql_validation_failed")]


# --- pagination -------------------------------------------------------------------------


@pytest.fixture
def five_items(user):
    now = timezone.now()
    return [
        baker.make(Item, owner=user, title=f"item {n}", created_at=now - timedelta(minutes=n))
        for n in range(5)
    ]


PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  items(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def test_first_and_after_walk_every_page(auth_client, five_items):
    seen, after, pages = [], None, 0
    while True:
        page = data(run(auth_client, PAGE, {"first": 2, "after": after}))["items"]
        seen += titles(page)
        pages += 1
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == [f"item {n}" for n in range(5)]
    assert pages == 3


def test_page_info_and_cursors_describe_the_page(auth_client, five_items):
    first = data(run(auth_client, PAGE, {"first": 2}))["items"]
    second = data(run(auth_client, PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]}))

    info = second["items"]["pageInfo"]
    assert info["hasPreviousPage"] is True
    assert info["hasNextPage"] is True
    assert info["startCursor"] == second["items"]["edges"][0]["cursor"]
    assert info["endCursor"] == second["items"]["edges"][-1]["cursor"]
    assert first["pageInfo"]["hasPreviousPage"] is False


def test_last_and_before_page_backwards(auth_client, five_items):
    tail = data(run(auth_client, PAGE, {"last": 2}))["items"]
    before = data(run(auth_client, PAGE, {"last": 2, "before": tail["pageInfo"]["startCursor"]}))

    assert titles(tail) == ["item 3", "item 4"]
    assert tail["pageInfo"]["hasNextPage"] is False
    assert titles(before["items"]) == ["item 1", "item 2"]
    assert before["items"]["pageInfo"]["hasPreviousPage"] is True


def test_page_sizes_are_capped_like_rest(auth_client, user):
    Item.objects.bulk_create(Item(owner=user, title=f"item {n}") for n in range(105))

    default = data(run(auth_client, PAGE, {}))["items"]
    capped = data(run(auth_client, PAGE, {"first": 1000}))["items"]

    assert len(default["edges"]) == 20
    assert len(capped["edges"]) == 100
    assert capped["pageInfo"]["hasNextPage"] is True
    assert capped["totalCount"] == 105


@pytest.mark.parametrize(
    ("variables", "attr"),
    [
        ({"after": "not a cursor"}, "after"),
        ({"before": "cG9zaXRpb246LTE="}, "before"),  # "position:-1"
        ({"after": "cG9zaXRpb246OTk5OTk5OTk5OTk5OTk5OTk5OTk="}, "after"),  # 21 digits
        ({"first": -1}, "first"),
        ({"last": -5}, "last"),
    ],
)
def test_a_bad_cursor_or_page_size_is_a_validation_error(auth_client, variables, attr):
    response = run(auth_client, PAGE, variables)

    assert failures(response) == [("items", "validation_error")]
    assert [entry[0] for entry in field_errors(response)] == [attr]


def test_a_cursor_past_the_end_is_an_empty_page(auth_client, five_items):
    page = data(run(auth_client, PAGE, {"after": "cG9zaXRpb246MTAw"}))["items"]  # position:100

    assert page["edges"] == []
    assert page["pageInfo"] == {
        "hasNextPage": False, "hasPreviousPage": True, "startCursor": None, "endCursor": None,
    }  # fmt: skip


# --- files ------------------------------------------------------------------------------


def test_file_has_the_rest_representation(auth_client, user):
    stored_file = stored_file_make(user)
    rest = auth_client.get(f"/api/v1/files/{stored_file.pk}/")

    node = data(run(auth_client, f'{{ file(id: "{stored_file.pk}") {{ {FILE_FIELDS} }} }}'))

    body = rest.json()
    assert node["file"] == {
        "id": body["id"], "ownerId": body["owner"], "filename": body["filename"],
        "size": body["size"], "contentType": body["content_type"], "sha256": body["sha256"],
        "status": "ACTIVE", "createdAt": body["created_at"], "etag": rest["ETag"],
    }  # fmt: skip


def test_files_list_only_your_active_files(auth_client, user, other_user):
    mine = stored_file_make(user, filename="mine.txt")
    stored_file_make(other_user, filename="theirs.txt")
    baker.make(StoredFile, owner=user, status=StoredFile.Status.PENDING, size=1)

    files = data(run(auth_client, "{ files { totalCount edges { node { id filename } } } }"))

    assert files["files"] == {"totalCount": 1, "edges": [
        {"node": {"id": str(mine.pk), "filename": "mine.txt"}}
    ]}  # fmt: skip


def test_file_of_another_user_is_null(auth_client, other_user):
    theirs = stored_file_make(other_user)

    assert data(run(auth_client, f'{{ file(id: "{theirs.pk}") {{ id }} }}')) == {"file": None}


def test_files_filter_and_order_like_rest(auth_client, user):
    stored_file_make(user, filename="b.txt")
    stored_file_make(user, filename="a.txt")
    stored_file_make(user, filename="report.txt")
    query = """{ files(filter: {search: ".txt", contentType: "text/plain"},
                       order: [{field: FILENAME}]) { edges { node { filename } } } }"""

    files = data(run(auth_client, query))["files"]

    assert [edge["node"]["filename"] for edge in files["edges"]] == [
        "a.txt",
        "b.txt",
        "report.txt",
    ]


def test_a_size_beyond_32_bits_is_a_number(auth_client, user):
    big = baker.make(StoredFile, owner=user, size=5 * 2**30, status=StoredFile.Status.ACTIVE)

    assert data(run(auth_client, f'{{ file(id: "{big.pk}") {{ size }} }}')) == {
        "file": {"size": 5 * 2**30}
    }
