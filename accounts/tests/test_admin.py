"""The user admin: changelist filters and search, adding users, the revoke action."""

import time

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from accounts import mfa, services, totp
from accounts.models import User
from accounts.roles import STAFF_GROUP
from accounts.tests.helpers import PASSWORD, REFRESH, assert_problem

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounts_user_changelist"


@pytest.fixture
def people(admin_user):
    staff = baker.make(User, email="staff@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name=STAFF_GROUP))
    return {
        "staff": staff,
        "verified": baker.make(
            User, email="verified@example.com", email_verified_at=timezone.now()
        ),
        "inactive": baker.make(User, email="inactive@example.com", is_active=False),
        "named": baker.make(User, email="zed@example.com", last_name="Annersley"),
    }


def _listed(response) -> list[str]:
    assert response.status_code == 200
    return [user.email for user in response.context["cl"].result_list]


def test_user_changelist_lists_users_by_email(admin_client, people):
    response = admin_client.get(reverse(CHANGELIST))
    assert _listed(response) == [
        "admin@example.com",
        "inactive@example.com",
        "staff@example.com",
        "verified@example.com",
        "zed@example.com",
    ]
    assert b"verified@example.com" in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("is_active__exact=0", ["inactive@example.com"]),
        ("is_staff__exact=1", ["admin@example.com", "staff@example.com"]),
        ("is_superuser__exact=1", ["admin@example.com"]),
        ("verified=yes", ["verified@example.com"]),
        (
            "verified=no",
            ["admin@example.com", "inactive@example.com", "staff@example.com", "zed@example.com"],
        ),
        ("groups__id__exact={staff_group}", ["staff@example.com"]),
        ("q=ANNERS", ["zed@example.com"]),
        ("q=inactive@", ["inactive@example.com"]),
    ],
)
def test_user_changelist_filters_and_search(admin_client, people, query, expected):
    query = query.format(staff_group=Group.objects.get(name=STAFF_GROUP).pk)
    assert _listed(admin_client.get(f"{reverse(CHANGELIST)}?{query}")) == expected


def test_user_change_page_loads(admin_client, people):
    user = people["verified"]
    response = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    assert str(user.pk).encode() in response.content


@pytest.mark.usefixtures("production_hashers")
def test_user_add_page_creates_user_with_normalized_email_and_password(admin_client):
    assert admin_client.get(reverse("admin:accounts_user_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Person@Example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password(PASSWORD)
    assert user.password.startswith("argon2$argon2id$")
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)


def test_user_add_page_rejects_an_email_taken_in_another_case(admin_client, user):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "ANN@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.count() == 2  # ann and the admin


def test_deactivate_action_deactivates_and_revokes_tokens(api_client, admin_client, people):
    targets = [people["staff"], people["verified"]]
    refresh_tokens = [services.token_pair_issue(user=user).refresh for user in targets]
    bystander = services.token_pair_issue(user=people["named"]).refresh

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "deactivate_and_revoke_tokens", "_selected_action": [u.pk for u in targets]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Deactivated 2 user(s) and revoked their tokens." in [
        str(message) for message in response.context["messages"]
    ]
    for user in targets:
        user.refresh_from_db()
        assert not user.is_active
    for refresh in refresh_tokens:
        assert_problem(api_client.post(REFRESH, {"refresh": refresh}), 401, "token_not_valid")
    people["named"].refresh_from_db()
    assert people["named"].is_active
    assert api_client.post(REFRESH, {"refresh": bystander}).status_code == 200


def test_user_admin_staff_role_can_view_but_not_add_or_deactivate(client, people):
    client.force_login(people["staff"])  # view_user only, through the Staff group
    assert _listed(client.get(reverse(CHANGELIST)))
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    target = people["verified"]
    client.post(
        reverse(CHANGELIST),
        {"action": "deactivate_and_revoke_tokens", "_selected_action": [target.pk]},
    )
    target.refresh_from_db()
    assert target.is_active


def test_deleting_users_in_the_admin_removes_their_files_objects(
    admin_client, people, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from storage import services as storage_services
    from storage.backends import file_storage

    ann = people["named"]
    stored = storage_services.file_upload(owner=ann, upload=ContentFile(b"notes", name="n.txt"))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/accounts/user/",
            {"action": "delete_selected", "_selected_action": [str(ann.pk)], "post": "yes"},
        )

    assert response.status_code == 302
    assert not User.objects.filter(pk=ann.pk).exists()
    assert not file_storage().exists(stored.object_key)


def test_view_only_staff_see_the_password_state_but_no_reset_button(client, staff_user):
    member = User.objects.create_user(email="member@example.com", password=PASSWORD)
    client.force_login(staff_user)

    page = client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    assert page.status_code == 200
    assert b"Reset password" not in page.content
    assert f"{member.pk}/password/".encode() not in page.content
    assert b"set" in page.content


def test_staff_who_may_change_users_keep_the_reset_button(admin_client):
    member = User.objects.create_user(email="member@example.com", password=PASSWORD)

    page = admin_client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    assert page.status_code == 200
    assert b"Reset password" in page.content


def _two_factor_on(user: User) -> None:
    device = mfa.totp_enrol(user=user)
    mfa.totp_confirm(user=user, code=totp.code_at_step(device.secret, totp.step_at(time.time())))


def test_the_change_page_shows_the_two_factor_state(admin_client, people):
    ann = people["named"]
    page = admin_client.get(reverse("admin:accounts_user_change", args=[ann.pk]))
    assert b"two-factor" in page.content.lower()
    _two_factor_on(ann)
    page = admin_client.get(reverse("admin:accounts_user_change", args=[ann.pk]))
    assert b"10 recovery codes left" in page.content


def test_the_reset_two_factor_action_turns_it_off_for_a_lost_authenticator(
    admin_client, api_client, people
):
    ann = User.objects.create_user(email="ann2@example.com", password=PASSWORD)
    _two_factor_on(ann)

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "reset_two_factor", "_selected_action": [ann.pk]},
        follow=True,
    )

    assert "Turned off two-factor for 1 user(s)." in [
        str(message) for message in response.context["messages"]
    ]
    login = api_client.post("/api/v1/auth/login/", {"email": ann.email, "password": PASSWORD})
    assert login.status_code == 200


def test_view_only_staff_cannot_reset_two_factor(client, people):
    target = people["verified"]
    _two_factor_on(target)
    client.force_login(people["staff"])
    client.post(
        reverse(CHANGELIST), {"action": "reset_two_factor", "_selected_action": [target.pk]}
    )
    assert mfa.mfa_enabled(target)
