"""Registering an account over HTTP."""

import uuid

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import STAFF_GROUP
from accounts.tests.helpers import PASSWORD, REGISTER, assert_problem, error_pairs

pytestmark = pytest.mark.django_db


def test_registering_a_taken_address_answers_as_a_new_registration_and_tells_its_owner(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(REGISTER, {"email": "Ann@X.io", "password": PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        again = api_client.post(
            REGISTER, {"email": "ann@x.io", "password": "another pass phrase 2026"}
        )

    assert (first.status_code, again.status_code) == (201, 201)
    assert set(again.json()) == set(first.json())
    assert again.json()["email"] == "ann@x.io"
    # The answer's id belongs to nobody: no second account, the first one unchanged.
    assert again.json()["id"] != first.json()["id"]
    assert list(User.objects.values_list("id", flat=True)) == [uuid.UUID(first.json()["id"])]
    assert User.objects.get().check_password(PASSWORD)
    assert [m.subject for m in mailoutbox] == [
        "Confirm your email address for Keel",
        "Someone tried to register with your Keel address",
    ]
    assert mailoutbox[1].to == ["ann@x.io"]


def test_registering_a_taken_address_still_checks_the_password(api_client, user):
    body = assert_problem(
        api_client.post(REGISTER, {"email": user.email, "password": "short"}),
        400,
        "validation_error",
    )
    assert {attr for attr, _ in error_pairs(body)} == {"password"}


def test_register_ignores_privilege_and_identity_fields(api_client):
    chosen_id = uuid.uuid4()
    staff_group = Group.objects.get(name=STAFF_GROUP)
    response = api_client.post(
        REGISTER,
        {
            "email": "mallory@example.com",
            "password": PASSWORD,
            "id": str(chosen_id),
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "groups": [staff_group.pk],
            "email_verified": True,
            "email_verified_at": "2020-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201
    assert response.json()["email_verified"] is False
    user = User.objects.get(email="mallory@example.com")
    assert user.pk != chosen_id
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert user.email_verified_at is None
    assert not user.groups.exists()


def test_register_weak_password_is_rejected_on_password(api_client):
    body = assert_problem(
        api_client.post(REGISTER, {"email": "weak@example.com", "password": "123"}),
        400,
        "validation_error",
    )
    assert ("password", "password_too_short") in error_pairs(body)
    assert ("password", "password_entirely_numeric") in error_pairs(body)
    assert not User.objects.exists()


def test_register_password_like_the_email_is_rejected(api_client):
    body = assert_problem(
        api_client.post(
            REGISTER, {"email": "susanna.bright@example.com", "password": "susannabright"}
        ),
        400,
        "validation_error",
    )
    assert error_pairs(body) == [("password", "password_too_similar")]


def test_register_without_fields_lists_each_required_field(api_client):
    body = assert_problem(api_client.post(REGISTER, {}), 400, "validation_error")
    assert sorted(error_pairs(body)) == [("email", "required"), ("password", "required")]


def test_register_invalid_email_is_rejected(api_client):
    body = assert_problem(
        api_client.post(REGISTER, {"email": "not-an-email", "password": PASSWORD}),
        400,
        "validation_error",
    )
    assert error_pairs(body) == [("email", "invalid")]


def test_register_sends_no_email_before_the_transaction_commits(api_client, mailoutbox):
    # Inside the test's transaction no commit happens, so nothing may have been sent.
    response = api_client.post(REGISTER, {"email": "new@example.com", "password": PASSWORD})
    assert response.status_code == 201
    assert mailoutbox == []
