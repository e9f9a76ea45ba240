"""A bearer token's user is kept between requests, and every change still applies at once.

Each test makes one request (the user is now kept), changes the user by one path, and
expects the next request to see the change.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import auth_cache, services
from accounts.models import User
from accounts.roles import STAFF_GROUP
from accounts.tests.helpers import ME, USERS, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen(auth_client, user):
    """``auth_client``, whose user this process has already read and kept."""
    assert auth_client.get(ME).status_code == 200
    return auth_client


def _view_users() -> Permission:
    return Permission.objects.get(content_type__app_label="accounts", codename="view_user")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda user: services.user_set_active(user=user, is_active=False), "user_inactive"),
        (lambda user: User.objects.filter(pk=user.pk).update(is_active=False), "user_inactive"),
        (
            lambda user: User.objects.bulk_update(
                [User(pk=user.pk, email=user.email, is_active=False)], ["is_active"]
            ),
            "user_inactive",
        ),
        (lambda user: (user.set_password("a new long password"), user.save()), "password_changed"),
        (lambda user: user.delete(), "user_not_found"),
        (lambda user: User.objects.filter(pk=user.pk).delete(), "user_not_found"),
    ],
    ids=["service", "queryset update", "bulk update", "password save", "delete", "bulk delete"],
)
def test_a_revoking_change_applies_on_the_next_request(seen, user, change, code):
    change(user)
    assert_problem(seen.get(ME), 401, code)


def test_a_profile_change_is_seen_on_the_next_request(seen, user):
    User.objects.filter(pk=user.pk).update(first_name="Renamed")
    assert seen.get(ME).json()["first_name"] == "Renamed"


@pytest.mark.parametrize(
    "grant",
    [
        lambda user: user.groups.add(Group.objects.get(name=STAFF_GROUP)),
        lambda user: Group.objects.get(name=STAFF_GROUP).user_set.add(user),
        lambda user: user.user_permissions.add(_view_users()),
        lambda user: _view_users().user_set.add(user),
    ],
    ids=["user's groups", "group's users", "user's permissions", "permission's users"],
)
def test_a_granted_role_applies_on_the_next_request(seen, user, grant):
    assert seen.get(USERS).status_code == 403
    grant(user)
    assert seen.get(USERS).status_code == 200


@pytest.mark.parametrize(
    "revoke",
    [
        lambda user, group: user.groups.clear(),
        lambda user, group: group.user_set.clear(),
        lambda user, group: group.permissions.clear(),
        lambda user, group: group.delete(),
    ],
    ids=["user's groups cleared", "group's users cleared", "group emptied", "group deleted"],
)
def test_a_revoked_role_applies_on_the_next_request(auth_client, user, revoke):
    group = Group.objects.create(name="Readers")
    group.permissions.add(_view_users())
    user.groups.add(group)
    assert auth_client.get(USERS).status_code == 200
    revoke(user, group)
    assert auth_client.get(USERS).status_code == 403


def test_a_permission_added_to_a_group_applies_to_its_members_at_once(seen, user):
    group = Group.objects.create(name="Readers")
    user.groups.add(group)
    assert seen.get(USERS).status_code == 403
    group.permissions.add(_view_users())
    assert seen.get(USERS).status_code == 200


def test_an_admin_deactivation_applies_on_the_next_request(seen, user, admin_client):
    admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_and_revoke_tokens", "_selected_action": [user.pk]},
    )
    assert_problem(seen.get(ME), 401, "user_inactive")


def test_an_admin_edit_of_the_user_applies_on_the_next_request(seen, user, admin_client):
    page = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(email=user.email, first_name="Edited", date_joined_0="2026-01-01",
                date_joined_1="00:00:00", groups=[], user_permissions=[])  # fmt: skip
    data.pop("password", None)
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update(
            {management.add_prefix(name): value for name, value in management.initial.items()}
        )
    response = admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert seen.get(ME).json()["first_name"] == "Edited"


def test_two_users_never_get_each_others_identity(client_for, user, other_user):
    ann, bob = client_for(user), client_for(other_user)
    for _ in range(2):
        assert ann.get(ME).json()["id"] == str(user.pk)
        assert bob.get(ME).json()["id"] == str(other_user.pk)


def test_a_kept_user_is_a_copy_each_request_may_change(seen, user):
    kept = next(iter(auth_cache.users._entries.values()))[1]
    seen.patch(ME, {"first_name": "Changed"})
    assert kept.first_name == ""
    assert seen.get(ME).json()["first_name"] == "Changed"


def test_with_the_cache_turned_off_every_request_reads_the_user(
    seen, settings, django_assert_num_queries
):
    settings.AUTH_USER_CACHE_SECONDS = 0
    seen.get(ME)
    with django_assert_num_queries(1):
        assert seen.get(ME).status_code == 200


# --- With Redis (CI's second pass) -------------------------------------------------------


def test_a_request_by_a_kept_user_costs_one_round_trip_to_redis(
    seen, round_trips, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert seen.get(ME).status_code == 200
    assert len(round_trips) == 1


def test_the_user_throttle_still_counts_every_request(seen, user, throttle_rates):
    throttle_rates(user="3/min")
    statuses = [seen.get(ME).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the fixture's request counted too


def test_with_redis_down_every_request_reads_the_user(
    auth_client, settings, django_assert_num_queries
):
    from config.tests.test_dependencies import REDIS_DOWN

    settings.CACHES = REDIS_DOWN
    auth_client.get(ME)
    with django_assert_num_queries(1):
        assert auth_client.get(ME).status_code == 200
