"""Staff user management at /api/v1/users/: the role matrix, filters, paging, activation."""

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from model_bakery import baker
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import User
from accounts.roles import STAFF_GROUP
from accounts.tests.helpers import ME, REFRESH, USERS, assert_problem, error_pairs
from config.tests.pages import ids_of, in_list_order, pages_backward, pages_forward

pytestmark = pytest.mark.django_db

ADMIN_USER_KEYS = {
    "id",
    "email",
    "first_name",
    "last_name",
    "email_verified",
    "is_active",
    "is_staff",
    "is_superuser",
    "groups",
    "date_joined",
    "last_login",
}


def _detail(user: User, action: str = "") -> str:
    return f"{USERS}{user.pk}/{action + '/' if action else ''}"


def _emails(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["email"] for row in response.json()["results"]]


# --- Role matrix --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "action"),
    [("get", None), ("get", ""), ("post", "activate"), ("post", "deactivate")],
)
def test_users_anonymous_is_401(api_client, user, method, action):
    url = USERS if action is None else _detail(user, action)
    response = getattr(api_client, method)(url)
    assert_problem(response, 401, "not_authenticated")


@pytest.mark.parametrize(
    ("method", "action"),
    [("get", None), ("get", ""), ("post", "activate"), ("post", "deactivate")],
)
def test_users_member_is_403(auth_client, user, other_user, method, action):
    url = USERS if action is None else _detail(other_user, action)
    assert_problem(getattr(auth_client, method)(url), 403, "permission_denied")
    other_user.refresh_from_db()
    assert other_user.is_active


def test_users_member_cannot_even_read_themselves(auth_client, user):
    assert_problem(auth_client.get(_detail(user)), 403, "permission_denied")


def test_users_staff_lists_everyone(client_for, staff_user, user, other_user):
    response = client_for(staff_user).get(USERS, {"count": "true"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert _emails(response) == ["ann@example.com", "bob@example.com", "staff@example.com"]
    assert body["results"][2]["groups"] == [STAFF_GROUP]


def test_users_staff_retrieves_a_user(client_for, staff_user, user):
    response = client_for(staff_user).get(_detail(user))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ADMIN_USER_KEYS
    assert body["id"] == str(user.pk)
    assert (body["email"], body["is_active"], body["is_staff"]) == (user.email, True, False)
    assert body["groups"] == []
    assert "password" not in body


@pytest.mark.parametrize("action", ["activate", "deactivate"])
def test_users_staff_cannot_change_activation(client_for, staff_user, user, action):
    response = client_for(staff_user).post(_detail(user, action))
    assert_problem(response, 403, "permission_denied")
    user.refresh_from_db()
    assert user.is_active


def test_users_change_permission_deactivates_and_revokes_the_users_tokens(
    api_client, client_for, user_manager, user
):
    pair = services.token_pair_issue(user=user)

    response = client_for(user_manager).post(_detail(user, "deactivate"))

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert set(response.json()) == ADMIN_USER_KEYS
    user.refresh_from_db()
    assert not user.is_active
    assert_problem(api_client.post(REFRESH, {"refresh": pair.refresh}), 401, "token_not_valid")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    assert_problem(api_client.get(ME), 401, "user_inactive")


def test_users_change_permission_activates(api_client, client_for, user_manager, user):
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = client_for(user_manager).post(_detail(user, "activate"))

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    user.refresh_from_db()
    assert user.is_active
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    assert api_client.get(ME).status_code == 200


def test_users_change_permission_alone_cannot_list(client_for, user_manager):
    assert_problem(client_for(user_manager).get(USERS), 403, "permission_denied")


def test_users_superuser_can_do_everything(client_for, superuser, user):
    client = client_for(superuser)
    assert _emails(client.get(USERS)) == ["ann@example.com", "root@example.com"]
    assert client.get(_detail(user)).json()["email"] == user.email
    assert client.post(_detail(user, "deactivate")).json()["is_active"] is False
    assert client.post(_detail(user, "activate")).json()["is_active"] is True


def test_users_joining_staff_group_takes_effect_on_next_request(auth_client, user):
    assert_problem(auth_client.get(USERS), 403, "permission_denied")
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    assert auth_client.get(USERS).status_code == 200
    user.groups.clear()
    assert_problem(auth_client.get(USERS), 403, "permission_denied")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_users_writes_other_than_activation_are_not_allowed(client_for, superuser, user, method):
    response = getattr(client_for(superuser), method)(_detail(user), {"is_staff": True})
    assert_problem(response, 405, "method_not_allowed")
    user.refresh_from_db()
    assert not user.is_staff


def test_users_create_is_not_allowed(client_for, superuser):
    response = client_for(superuser).post(USERS, {"email": "x@example.com"})
    assert_problem(response, 405, "method_not_allowed")
    assert not User.objects.filter(email="x@example.com").exists()


# --- Detail lookups -----------------------------------------------------------------------


def test_users_detail_with_invalid_uuid_is_404(client_for, staff_user):
    assert_problem(client_for(staff_user).get(f"{USERS}not-a-uuid/"), 404, "not_found")


def test_users_detail_of_unknown_user_is_404(client_for, staff_user):
    assert_problem(client_for(staff_user).get(f"{USERS}{uuid.uuid4()}/"), 404, "not_found")


def test_users_deactivate_unknown_user_is_404(client_for, user_manager):
    response = client_for(user_manager).post(f"{USERS}{uuid.uuid4()}/deactivate/")
    assert_problem(response, 404, "not_found")


# --- Search, filters, ordering, paging ----------------------------------------------------


@pytest.fixture
def population(staff_user):
    """Users differing in each filtered attribute, plus the staff user reading them."""
    return {
        "verified": baker.make(
            User, email="verified@example.com", email_verified_at=timezone.now()
        ),
        "inactive": baker.make(User, email="inactive@example.com", is_active=False),
        "named": baker.make(User, email="zed@example.com", first_name="Annabel"),
        "admin": baker.make(User, email="admin@example.com", is_staff=True, is_superuser=True),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("is_active=false", ["inactive@example.com"]),
        ("is_active=true&is_staff=false", ["verified@example.com", "zed@example.com"]),
        ("is_staff=true", ["admin@example.com", "staff@example.com"]),
        ("is_superuser=true", ["admin@example.com"]),
        ("is_superuser=True", ["admin@example.com"]),
        ("is_active=0", ["inactive@example.com"]),
        ("email_verified=true", ["verified@example.com"]),
        (
            "email_verified=false",
            ["admin@example.com", "inactive@example.com", "staff@example.com", "zed@example.com"],
        ),
        (f"group={STAFF_GROUP}", ["staff@example.com"]),
        ("group=nonexistent", []),
        ("search=anna", ["zed@example.com"]),
        ("search=VERIFIED@", ["verified@example.com"]),
        ("search=example.com&is_active=false", ["inactive@example.com"]),
    ],
)
def test_users_list_filters_and_search(client_for, staff_user, population, query, expected):
    assert _emails(client_for(staff_user).get(f"{USERS}?{query}")) == expected


def test_users_list_ordering_by_date_joined_descending(client_for, staff_user, population):
    response = client_for(staff_user).get(f"{USERS}?ordering=-date_joined")
    joined = [row["date_joined"] for row in response.json()["results"]]
    assert len(joined) == 5
    assert joined == sorted(joined, reverse=True)


@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ("is_active=maybe", "is_active"),
        ("is_staff=yes-please", "is_staff"),
        ("email_verified=2", "email_verified"),
    ],
)
def test_users_list_unknown_filter_value_is_validation_error(client_for, staff_user, query, attr):
    body = assert_problem(client_for(staff_user).get(f"{USERS}?{query}"), 400, "validation_error")
    assert error_pairs(body) == [(attr, "invalid_choice")]


@pytest.mark.parametrize("name", ["is_active", "group", "email_verified"])
def test_users_list_filter_given_empty_is_validation_error(client_for, staff_user, name):
    body = assert_problem(client_for(staff_user).get(f"{USERS}?{name}="), 400, "validation_error")
    assert error_pairs(body) == [(name, "blank")]


def test_users_list_query_count_does_not_grow_with_users(
    client_for, staff_user, django_assert_max_num_queries
):
    client = client_for(staff_user)
    group = Group.objects.create(name="Editors")

    def add_users(count: int, start: int) -> None:
        for user in baker.make(
            User, email=iter(f"u{start + i}@example.com" for i in range(count)), _quantity=count
        ):
            user.groups.add(group)

    add_users(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(USERS).json()["results"]) == 3
    add_users(15, 100)

    # Authentication, the permission check, the page, and one prefetch of groups.
    assert len(few) <= 5, [query["sql"] for query in few.captured_queries]
    with django_assert_max_num_queries(len(few)):
        response = client.get(USERS)
    assert len(response.json()["results"]) == 18


def test_users_list_page_size_is_capped_at_100(client_for, superuser):
    User.objects.bulk_create(User(email=f"user{i:03}@example.com") for i in range(101))
    response = client_for(superuser).get(f"{USERS}?page_size=1000&count=true")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 102
    assert len(body["results"]) == 100
    query = parse_qs(urlsplit(body["next"]).query)
    assert (query["page_size"], query["count"]) == (["1000"], ["true"])
    assert "cursor" in query


def test_users_list_pages_default_to_20(client_for, superuser):
    User.objects.bulk_create(User(email=f"user{i:03}@example.com") for i in range(25))
    body = client_for(superuser).get(USERS).json()
    assert body["count"] is None
    assert len(body["results"]) == 20
    assert body["previous"] is None


def test_users_list_by_page_number_is_400_page_not_supported(client_for, superuser):
    assert_problem(client_for(superuser).get(f"{USERS}?page=9"), 400, "page_not_supported")


@pytest.mark.parametrize(
    "ordering",
    ["", "email", "-email", "date_joined", "-date_joined", "last_login", "-last_login"],
)
def test_users_list_walks_every_user_once_in_order_both_ways(client_for, superuser, ordering):
    """Ties on date_joined and last_login, and users who never logged in (null) among them."""
    moments = [timezone.now() - timedelta(days=days) for days in range(3)]
    for index in range(8):
        User.objects.create(
            email=f"user{index}@example.com",
            date_joined=moments[index % 3],
            last_login=None if index % 3 == 0 else moments[index % 2],
        )
    User.objects.filter(pk=superuser.pk).update(date_joined=moments[0], last_login=None)
    rows = list(User.objects.values("id", "email", "date_joined", "last_login"))
    client = client_for(superuser)

    forward = pages_forward(client, USERS, {"ordering": ordering, "page_size": 2})
    backward = pages_backward(client, forward[-1])

    expected = in_list_order(rows, [ordering or "email"])
    assert ids_of(forward) == expected
    assert ids_of([*reversed(backward), forward[-1]]) == expected


def test_users_list_with_a_cursor_of_another_staff_member_is_400(
    client_for, superuser, staff_user, user
):
    theirs = client_for(staff_user).get(USERS, {"page_size": 1}).json()["next"]

    assert_problem(client_for(superuser).get(theirs), 400, "cursor_user_mismatch")


def test_users_list_ordering_by_two_fields_is_400(client_for, superuser):
    response = client_for(superuser).get(USERS, {"ordering": "last_login,email"})
    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("ordering", "invalid_choice")]


def test_users_list_unknown_ordering_is_400(client_for, superuser):
    response = client_for(superuser).get(USERS, {"ordering": "password"})
    body = assert_problem(response, 400, "validation_error")
    assert [error["attr"] for error in body["errors"]] == ["ordering"]
