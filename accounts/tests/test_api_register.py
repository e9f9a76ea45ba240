"""Registering an account over HTTP."""

import uuid

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import STAFF_GROUP
from accounts.tests.helpers import PASSWORD, REGISTER, assert_problem, error_pairs

pytestmark = pytest.mark.django_db


def test_register_email_differing_only_in_case_is_unique_violation(api_client):
    first = api_client.post(REGISTER, {"email": "Ann@X.io", "password": PASSWORD})
    assert first.status_code == 201
    assert first.json()["email"] == "ann@x.io"

    body = assert_problem(
        api_client.post(REGISTER, {"email": "ann@x.io", "password": PASSWORD}),
        400,
        "validation_error",
    )
    assert error_pairs(body) == [("email", "unique")]
    assert User.objects.count() == 1


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
