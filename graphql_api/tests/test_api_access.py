"""Who may ask what: REST's authentication, API key scopes and throttles, over GraphQL."""

from datetime import timedelta

import pytest
from model_bakery import baker
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from graphql_api.tests.helpers import GRAPHQL_URL, data, failures, run
from items.models import Item
from storage.tests.helpers import stored_file_make

pytestmark = pytest.mark.django_db

CREATE = 'mutation { createItem(input: {title: "from a script"}) { item { id } } }'


def request_error(response, status: int, code: str) -> dict:
    """A request refused before it ran: REST's status, one error, no ``data``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"errors"}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["status"] == status
    assert error["message"]
    return error


# --- anonymous and bad credentials ------------------------------------------------------


def test_anonymous_fields_are_null_with_not_authenticated(api_client):
    response = run(api_client, "{ me { email } items { totalCount } files { totalCount } }")

    assert response.status_code == 200
    assert response.json()["data"] == {"me": None, "items": None, "files": None}
    assert failures(response) == [
        ("me", "not_authenticated"), ("items", "not_authenticated"),
        ("files", "not_authenticated"),
    ]  # fmt: skip
    assert {error["extensions"]["status"] for error in response.json()["errors"]} == {401}


def test_anonymous_mutation_writes_nothing(api_client):
    response = run(api_client, CREATE)

    assert failures(response) == [("createItem", "not_authenticated")]
    assert not Item.objects.exists()


def test_an_expired_token_is_401_before_anything_runs(api_client, user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(minutes=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = run(api_client, "{ me { email } }")

    request_error(response, 401, "token_not_valid")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_issued_before_a_password_change_is_refused(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    user.set_password("a brand new passphrase 2026")
    user.save()

    request_error(run(api_client, "{ me { email } }"), 401, "password_changed")


def test_an_unknown_api_key_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key keel_abc.not-a-real-secret")

    request_error(run(api_client, "{ items { totalCount } }"), 401, "api_key_invalid")


# --- API key scopes ---------------------------------------------------------------------


def test_a_read_only_key_reads_but_cannot_run_a_mutation(key_client, user):
    baker.make(Item, owner=user)
    client = key_client(user, "items:read")

    assert data(run(client, "{ items { totalCount } }")) == {"items": {"totalCount": 1}}
    response = run(client, CREATE)
    assert failures(response) == [("createItem", "insufficient_scope")]
    assert response.json()["errors"][0]["extensions"]["status"] == 403
    assert Item.objects.count() == 1


def test_a_write_key_may_also_read(key_client, user):
    client = key_client(user, "items:write")

    created = data(run(client, CREATE))["createItem"]["item"]

    assert data(run(client, f'{{ item(id: "{created["id"]}") {{ id }} }}'))["item"] == created


def test_a_key_reaches_only_the_resources_its_scopes_name(key_client, user):
    stored_file = stored_file_make(user)
    client = key_client(user, "files:read")
    query = "{ files { totalCount } items { totalCount } }"

    response = run(client, query)

    assert response.json()["data"] == {"files": {"totalCount": 1}, "items": None}
    assert failures(response) == [("items", "insufficient_scope")]
    delete = run(client, f'mutation {{ deleteFile(input: {{id: "{stored_file.pk}"}}) {{ id }} }}')
    assert failures(delete) == [("deleteFile", "insufficient_scope")]


def test_no_key_reaches_account_data(key_client, user):
    baker.make(Item, owner=user)
    client = key_client(user, "items:write", "files:write")

    response = run(client, "{ me { email } items { edges { node { ownerId owner { email } } } } }")

    assert response.json()["data"] == {
        "me": None,
        "items": {"edges": [{"node": {"ownerId": str(user.pk), "owner": None}}]},
    }
    assert failures(response) == [("me", "insufficient_scope")]


def test_a_staff_key_does_not_reach_other_accounts_either(key_client, staff_user, user):
    baker.make(Item, owner=user)

    items = data(
        run(
            key_client(staff_user, "items:read"),
            "{ items { edges { node { owner { email } } } } }",
        )
    )

    assert items["items"]["edges"] == [{"node": {"owner": None}}]


# --- throttles: REST's, in the same buckets ---------------------------------------------


def test_graphql_requests_count_against_the_users_rest_throttle(auth_client, throttle_rates):
    throttle_rates(user="3/min")

    statuses = [
        auth_client.get("/api/v1/items/").status_code,
        run(auth_client, "{ items { totalCount } }").status_code,
        auth_client.get("/api/v1/items/").status_code,
    ]
    throttled = run(auth_client, "{ items { totalCount } }")

    assert statuses == [200, 200, 200]
    request_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) >= 1


def test_anonymous_graphql_requests_are_throttled_per_ip(throttle_rates):
    throttle_rates(anon="2/min")
    client = APIClient(raise_request_exception=False)

    statuses = [run(client, "{ __typename }").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_key_traffic_has_its_own_bucket(key_client, auth_client, user, throttle_rates):
    throttle_rates(api_key="1/min", user="100/min")
    client = key_client(user, "items:read")

    assert run(client, "{ items { totalCount } }").status_code == 200
    request_error(run(client, "{ items { totalCount } }"), 429, "throttled")
    assert run(auth_client, "{ items { totalCount } }").status_code == 200


def test_get_is_not_allowed_outside_development(auth_client, settings):
    settings.DEBUG = False

    response = auth_client.get(GRAPHQL_URL)

    request_error(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]
