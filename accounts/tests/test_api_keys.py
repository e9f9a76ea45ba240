"""API keys over HTTP: created once, scoped to resources, refused when revoked or expired."""

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts import auth_cache, services
from accounts.models import ApiKey
from accounts.tests.helpers import ME, assert_problem
from config.tests.pages import (
    ids_of,
    in_list_order,
    page_query_plan,
    pages_backward,
    pages_forward,
    plan_nodes,
)

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/auth/api-keys/"
ITEMS = "/api/v1/items/"


def create_key(client, **body):
    return client.post(KEYS, {"name": "backup script", "scopes": ["items:read"], **body})


@pytest.fixture
def key_of(client_for):
    """``key_of(user, scopes)``: a new key's secret, made through the API."""

    def make(user, scopes=("items:read",)) -> str:
        response = create_key(client_for(user), scopes=list(scopes))
        assert response.status_code == 201, response.content
        return response.json()["key"]

    return make


def with_key(key: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


# --- creating and listing ---------------------------------------------------------------


def test_a_key_is_shown_once_and_stored_only_as_a_digest(auth_client, user):
    response = create_key(auth_client, scopes=["items:write", "files:read"])

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "prefix", "scopes", "created_at", "last_used_at",
                         "expires_at", "revoked_at", "key"}  # fmt: skip
    assert body["key"].startswith(f"keel_{body['prefix']}.")
    assert body["scopes"] == ["files:read", "items:write"]
    stored = ApiKey.objects.get(pk=body["id"])
    secret = body["key"].split(".", 1)[1]
    assert stored.user == user
    assert stored.secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.filter(pk=body["id"]).values().get())

    listed = auth_client.get(KEYS).json()
    assert [key["id"] for key in listed["results"]] == [body["id"]]
    assert "key" not in listed["results"][0]


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"scopes": ["items:delete"]}, "scopes.0"),
        ({"scopes": ["notes:read"]}, "scopes.0"),
        ({"scopes": []}, "scopes"),
        ({"scopes": "items:read"}, "scopes"),
        ({"name": ""}, "name"),
        ({"expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_a_key_with_a_bad_field_is_a_400_naming_it(auth_client, body, attr):
    response = create_key(auth_client, **body)

    problem = assert_problem(response, 400, "validation_error")
    assert [error["attr"] for error in problem["errors"]] == [attr]
    assert not ApiKey.objects.exists()


def test_keys_need_a_login_and_each_user_sees_only_their_own(api_client, client_for, user,
                                                            other_user, key_of):  # fmt: skip
    key_of(other_user)

    assert_problem(api_client.get(KEYS), 401, "not_authenticated")
    assert client_for(user).get(KEYS).json()["results"] == []


def test_keys_list_walks_every_key_once_newest_first_both_ways(client_for, user, other_user):
    moments = [timezone.now() - timedelta(hours=hours) for hours in range(3)]
    keys = baker.make(ApiKey, user=user, prefix=iter(f"k{i}" for i in range(7)), _quantity=7)
    for index, key in enumerate(keys):
        ApiKey.objects.filter(pk=key.pk).update(created_at=moments[index % 3])
    baker.make(ApiKey, user=other_user, prefix="theirs")
    rows = list(ApiKey.objects.filter(user=user).values("id", "created_at"))
    client = client_for(user)

    forward = pages_forward(client, KEYS, {"page_size": 3})
    backward = pages_backward(client, forward[-1])

    assert ids_of(forward) == in_list_order(rows, ["-created_at"])
    assert ids_of([*reversed(backward), forward[-1]]) == ids_of(forward)


def test_keys_list_pages_are_read_from_the_user_index_in_order(client_for, user, other_user):
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's query plans")
    for owner, prefix in [(user, "mine"), (other_user, "theirs")]:
        baker.make(ApiKey, user=owner, prefix=iter(f"{prefix}{i}" for i in range(4)), _quantity=4)
    client = client_for(user)
    second_page = client.get(KEYS, {"page_size": 2}).json()["next"]

    nodes = list(plan_nodes(page_query_plan(client, second_page, "accounts_apikey")))

    assert not [node for node in nodes if "Sort" in node["Node Type"]]
    [scan] = [node for node in nodes if node.get("Relation Name") == "accounts_apikey"]
    assert (scan["Node Type"], scan["Index Name"]) == ("Index Scan", "apikey_user_created")
    assert "created_at" in scan["Index Cond"]


# --- using a key ----------------------------------------------------------------------------


def test_a_read_key_reads_its_owners_items_and_cannot_write(user, other_user, key_of):
    baker.make("items.Item", owner=user, title="mine")
    baker.make("items.Item", owner=other_user, title="theirs")
    client = with_key(key_of(user, ["items:read"]))

    listed = client.get(ITEMS)
    written = client.post(ITEMS, {"title": "new"})

    assert listed.status_code == 200
    assert [item["title"] for item in listed.json()["results"]] == ["mine"]
    assert_problem(written, 403, "insufficient_scope")


def test_a_write_key_writes_and_reads(user, key_of):
    client = with_key(key_of(user, ["items:write"]))

    created = client.post(ITEMS, {"title": "from a script"})

    assert created.status_code == 201
    assert client.get(created["Location"]).status_code == 200


def test_a_key_reaches_no_resource_outside_its_scopes(user, key_of):
    client = with_key(key_of(user, ["items:read"]))

    assert_problem(client.get("/api/v1/files/"), 403, "insufficient_scope")


@pytest.mark.parametrize(("method", "path"), [("get", ME), ("get", KEYS), ("post", KEYS)])
def test_a_key_cannot_reach_the_account_or_make_more_keys(user, key_of, method, path):
    client = with_key(key_of(user, ["items:write", "files:write"]))

    response = getattr(client, method)(path, {"name": "more", "scopes": ["items:read"]})

    assert_problem(response, 403, "insufficient_scope")


@pytest.mark.parametrize(
    "key",
    ["keel_nothing", "keel_abc.def", "not-even-keel", "keel_.secret", ""],
)
def test_a_malformed_or_unknown_key_is_a_401(key):
    assert_problem(with_key(key).get(ITEMS), 401, "api_key_invalid")


def test_a_key_with_a_wrong_secret_is_a_401(user, key_of):
    prefix = key_of(user).split(".")[0]

    assert_problem(with_key(f"{prefix}.wrong-secret").get(ITEMS), 401, "api_key_invalid")


def test_a_revoked_key_is_refused(auth_client, user, key_of):
    key = key_of(user)
    api_key = ApiKey.objects.get()

    revoked = auth_client.delete(f"{KEYS}{api_key.pk}/")

    assert revoked.status_code == 204
    assert_problem(with_key(key).get(ITEMS), 401, "api_key_revoked")
    assert auth_client.get(KEYS).json()["results"][0]["revoked_at"] is not None


def test_an_expired_key_is_refused(user, key_of):
    key = key_of(user)
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_problem(with_key(key).get(ITEMS), 401, "api_key_expired")


def test_a_key_of_a_deactivated_or_deleted_user_is_refused(user, key_of):
    key = key_of(user)
    services.user_set_active(user=user, is_active=False)
    assert_problem(with_key(key).get(ITEMS), 401, "user_inactive")

    services.user_remove(user=user)
    assert_problem(with_key(key).get(ITEMS), 401, "api_key_invalid")


def test_another_users_key_cannot_be_revoked(client_for, user, other_user, key_of):
    key = key_of(other_user)
    theirs = ApiKey.objects.get()

    assert_problem(client_for(user).delete(f"{KEYS}{theirs.pk}/"), 404, "not_found")
    assert with_key(key).get(ITEMS).status_code == 200


def test_staff_who_may_change_keys_list_and_revoke_everyones(client_for, superuser, user, key_of):
    key = key_of(user)
    admin = client_for(superuser)

    listed = admin.get(KEYS).json()
    assert admin.delete(f"{KEYS}{listed['results'][0]['id']}/").status_code == 204
    assert_problem(with_key(key).get(ITEMS), 401, "api_key_revoked")


def test_the_admin_revokes_keys(admin_client, user, key_of):
    key = key_of(user)

    response = admin_client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke", "_selected_action": [str(ApiKey.objects.get().pk)]},
    )

    assert response.status_code == 302
    assert_problem(with_key(key).get(ITEMS), 401, "api_key_revoked")


# --- cost and limits -------------------------------------------------------------------------


def test_last_used_is_written_at_most_once_a_minute(user, key_of):
    client = with_key(key_of(user))

    client.get(ITEMS)
    first = ApiKey.objects.get().last_used_at
    client.get(ITEMS)
    assert ApiKey.objects.get().last_used_at == first
    ApiKey.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get(ITEMS)
    assert ApiKey.objects.get().last_used_at > first


def test_a_key_request_costs_the_queries_of_a_token_request(
    user, key_of, auth_client, django_assert_num_queries, settings
):
    settings.RESPONSE_CACHE_SECONDS = 0  # the authentication's queries, and the list's
    client = with_key(key_of(user))
    client.get(ITEMS)  # last_used_at is fresh now: no write on the next request
    baker.make("items.Item", owner=user, _quantity=3)

    auth_cache.users.clear()  # a key's user is read with the key, as an uncached token's
    with django_assert_num_queries(2) as by_token:
        auth_client.get(ITEMS)
    with django_assert_num_queries(len(by_token.captured_queries)):
        assert client.get(ITEMS).status_code == 200


def test_key_traffic_has_its_own_throttle(user, key_of, auth_client, throttle_rates):
    client = with_key(key_of(user))
    throttle_rates(api_key="2/min", user="100/min")

    statuses = [client.get(ITEMS).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert auth_client.get(ITEMS).status_code == 200
