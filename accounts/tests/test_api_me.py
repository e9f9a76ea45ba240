"""The signed-in user's own account: profile, deletion, password change, sign-out."""

import uuid

import pytest
from django.contrib.auth.models import Group
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import User
from accounts.roles import STAFF_GROUP
from accounts.tests.helpers import (
    LOGIN,
    LOGOUT_EVERYWHERE,
    ME,
    NEW_PASSWORD,
    PASSWORD,
    PASSWORD_CHANGE,
    REFRESH,
    assert_problem,
    error_pairs,
)
from config.tests.helpers import iso

pytestmark = pytest.mark.django_db


def test_me_get_returns_the_profile(auth_client, user):
    response = auth_client.get(ME)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "id": str(user.pk),
        "email": "ann@example.com",
        "first_name": "",
        "last_name": "",
        "email_verified": False,
        "date_joined": iso(user.date_joined),
    }


def test_me_anonymous_is_401_not_authenticated(api_client):
    response = api_client.get(ME)
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_patch_changes_names(auth_client, user):
    response = auth_client.patch(ME, {"first_name": "Ann", "last_name": "Lee"})
    assert response.status_code == 200
    assert response.json()["first_name"] == "Ann"
    assert response.json()["last_name"] == "Lee"
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ann", "Lee")


def test_me_patch_one_name_keeps_the_other(auth_client, user):
    User.objects.filter(pk=user.pk).update(first_name="Ann", last_name="Lee")
    response = auth_client.patch(ME, {"last_name": "Smith"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ann", "Smith")


def test_me_patch_ignores_privilege_identity_and_password(auth_client, user):
    password_hash = user.password
    response = auth_client.patch(
        ME,
        {
            "first_name": "Ann",
            "id": str(uuid.uuid4()),
            "password": "a password chosen by mallory",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "groups": [Group.objects.get(name=STAFF_GROUP).pk],
            "email_verified": True,
            "email_verified_at": "2020-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 200
    assert response.json()["id"] == str(user.pk)
    assert response.json()["email"] == "ann@example.com"
    user.refresh_from_db()
    assert user.first_name == "Ann"
    assert user.email == "ann@example.com"
    assert user.password == password_hash
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert user.email_verified_at is None
    assert not user.groups.exists()


def test_me_patch_email_is_refused_pointing_at_the_email_change(auth_client, user):
    response = auth_client.patch(ME, {"first_name": "Ann", "email": "mallory@example.com"})

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("email", "email_change_required")]
    assert "/api/v1/auth/email/change/" in body["errors"][0]["detail"]
    user.refresh_from_db()
    assert (user.email, user.first_name) == ("ann@example.com", "")


def test_me_patch_too_long_name_is_validation_error(auth_client):
    body = assert_problem(
        auth_client.patch(ME, {"first_name": "x" * 151}), 400, "validation_error"
    )
    assert error_pairs(body) == [("first_name", "max_length")]


def test_me_patch_a_name_that_is_not_a_json_string_is_validation_error(auth_client, user):
    response = auth_client.patch(ME, {"first_name": "Ann", "last_name": 0}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("last_name", "invalid")]
    user.refresh_from_db()
    assert user.first_name != "Ann"


def test_me_delete_with_wrong_password_keeps_the_account(auth_client, user):
    body = assert_problem(
        auth_client.delete(ME, {"password": "not the password at all"}), 400, "validation_error"
    )
    assert error_pairs(body) == [("password", "wrong_password")]
    assert User.objects.filter(pk=user.pk).exists()


def test_me_delete_without_password_is_validation_error(auth_client, user):
    body = assert_problem(auth_client.delete(ME, {}), 400, "validation_error")
    assert error_pairs(body) == [("password", "required")]
    assert User.objects.filter(pk=user.pk).exists()


def test_me_delete_with_password_removes_the_account_and_its_tokens(api_client, user):
    pair = services.token_pair_issue(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")

    response = api_client.delete(ME, {"password": PASSWORD})

    assert response.status_code == 204
    assert response.content == b""
    assert not User.objects.filter(pk=user.pk).exists()
    api_client.credentials()
    assert_problem(api_client.post(REFRESH, {"refresh": pair.refresh}), 401, "token_not_valid")
    assert_problem(
        api_client.post(LOGIN, {"email": user.email, "password": PASSWORD}),
        401,
        "invalid_credentials",
    )


def test_me_delete_removes_the_users_items_and_files_but_not_others(
    api_client, user, other_user, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from model_bakery import baker

    from items.models import Item
    from storage import services as storage_services
    from storage.backends import file_storage
    from storage.models import StoredFile

    baker.make(Item, owner=user, _quantity=3)
    theirs = baker.make(Item, owner=other_user)
    upload = ContentFile(b"hello, keel", name="notes.txt")
    stored = storage_services.file_upload(owner=user, upload=upload)
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {services.token_pair_issue(user=user).access}"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(ME, {"password": PASSWORD})

    assert response.status_code == 204
    assert list(Item.objects.all()) == [theirs]
    assert not StoredFile.objects.exists()
    assert not file_storage().exists(stored.object_key)


# --- Password change ----------------------------------------------------------------------


def test_password_change_wrong_current_password_is_rejected(auth_client, user):
    response = auth_client.post(
        PASSWORD_CHANGE, {"current_password": "not it", "new_password": NEW_PASSWORD}
    )
    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("current_password", "wrong_password")]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_weak_new_password_is_rejected(auth_client, user):
    response = auth_client.post(
        PASSWORD_CHANGE, {"current_password": PASSWORD, "new_password": "password"}
    )
    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("new_password", "password_too_common")]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_returns_working_pair_and_revokes_older_sessions(
    api_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    old = services.token_pair_issue(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old.access}")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            PASSWORD_CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )

    assert response.status_code == 200
    new = response.json()
    assert set(new) == {"access", "refresh"}
    assert [message.to for message in mailoutbox] == [[user.email]]
    assert mailoutbox[0].subject == "Your Keel password was changed"

    # The access token of before carries the old password's digest.
    assert_problem(api_client.get(ME), 401, "password_changed")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {new['access']}")
    assert api_client.get(ME).status_code == 200

    api_client.credentials()
    assert_problem(api_client.post(REFRESH, {"refresh": old.refresh}), 401, "token_not_valid")
    assert api_client.post(REFRESH, {"refresh": new["refresh"]}).status_code == 200
    login = api_client.post(LOGIN, {"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 200


def test_password_change_anonymous_is_401(api_client):
    response = api_client.post(
        PASSWORD_CHANGE, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert_problem(response, 401, "not_authenticated")


# --- Logout everywhere --------------------------------------------------------------------


def test_logout_everywhere_revokes_every_refresh_token_of_the_user(api_client, user, other_user):
    sessions = [services.token_pair_issue(user=user).refresh for _ in range(3)]
    bystander = services.token_pair_issue(user=other_user).refresh
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")

    response = api_client.post(LOGOUT_EVERYWHERE)

    assert response.status_code == 204
    api_client.credentials()
    for refresh in sessions:
        assert_problem(api_client.post(REFRESH, {"refresh": refresh}), 401, "token_not_valid")
    assert api_client.post(REFRESH, {"refresh": bystander}).status_code == 200


def test_logout_everywhere_anonymous_is_401(api_client):
    assert_problem(api_client.post(LOGOUT_EVERYWHERE), 401, "not_authenticated")
