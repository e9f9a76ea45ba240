"""Logging in over HTTP: email matching, indistinguishable failures, input bounds."""

import pytest

from accounts.models import User
from accounts.tests.helpers import LOGIN, ME, PASSWORD, REGISTER, assert_problem, error_pairs

pytestmark = pytest.mark.django_db


def _without_request_id(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "request_id"}


@pytest.mark.parametrize("email", ["ann@example.com", "ANN@Example.COM", "  ann@example.com "])
def test_login_email_in_any_case_or_padding_logs_in(api_client, user, email):
    response = api_client.post(LOGIN, {"email": email, "password": PASSWORD})
    assert response.status_code == 200
    pair = response.json()
    assert set(pair) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert api_client.get(ME).json()["id"] == str(user.pk)


def test_login_registered_mixed_case_email_logs_in_lower_case(api_client):
    api_client.post(REGISTER, {"email": "Ann@X.io", "password": PASSWORD})
    for email in ("Ann@X.io", "ann@x.io"):
        assert api_client.post(LOGIN, {"email": email, "password": PASSWORD}).status_code == 200


def test_login_failures_are_indistinguishable(api_client, user, other_user):
    User.objects.filter(pk=other_user.pk).update(is_active=False)
    attempts = {
        "unknown email": {"email": "nobody@example.com", "password": PASSWORD},
        "wrong password": {"email": user.email, "password": "not the password at all"},
        "inactive account": {"email": other_user.email, "password": PASSWORD},
    }
    bodies, challenges = {}, set()
    for name, credentials in attempts.items():
        response = api_client.post(LOGIN, credentials)
        bodies[name] = _without_request_id(assert_problem(response, 401, "invalid_credentials"))
        challenges.add(response["WWW-Authenticate"])
    assert bodies["unknown email"] == bodies["wrong password"] == bodies["inactive account"]
    assert len(challenges) == 1


def test_login_without_password_is_validation_error(api_client, user):
    body = assert_problem(api_client.post(LOGIN, {"email": user.email}), 400, "validation_error")
    assert error_pairs(body) == [("password", "required")]


def test_login_password_over_the_length_bound_is_validation_error(api_client, user):
    body = assert_problem(
        api_client.post(LOGIN, {"email": user.email, "password": "x" * 257}),
        400,
        "validation_error",
    )
    assert error_pairs(body) == [("password", "max_length")]


def test_login_does_not_trim_the_password(api_client, user):
    response = api_client.post(LOGIN, {"email": user.email, "password": f" {PASSWORD} "})
    assert_problem(response, 401, "invalid_credentials")
