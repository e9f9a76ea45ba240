"""One account's whole life over HTTP: register, verify, log in, refresh, log out, reset."""

import pytest

from accounts.tests.helpers import (
    ACCEPTED,
    EMAIL_VERIFY,
    LOGIN,
    LOGOUT,
    ME,
    NEW_PASSWORD,
    PASSWORD,
    PASSWORD_RESET,
    PASSWORD_RESET_CONFIRM,
    REFRESH,
    REGISTER,
    assert_problem,
    email_link_params,
)

pytestmark = pytest.mark.django_db

USER_KEYS = {"id", "email", "first_name", "last_name", "email_verified", "date_joined"}


def test_account_lifecycle_register_verify_login_refresh_logout_reset(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            REGISTER, {"email": "new@example.com", "password": PASSWORD, "first_name": "Nan"}
        )
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    registered = response.json()
    assert set(registered) == USER_KEYS
    assert registered["email"] == "new@example.com"
    assert registered["first_name"] == "Nan"
    assert registered["email_verified"] is False
    assert "argon2" not in response.content.decode()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new@example.com"]

    response = api_client.post(EMAIL_VERIFY, email_link_params(mailoutbox[0]))
    assert response.status_code == 200
    assert response.json() == {**registered, "email_verified": True}

    response = api_client.post(LOGIN, {"email": "new@example.com", "password": PASSWORD})
    assert response.status_code == 200
    first_pair = response.json()
    assert set(first_pair) == {"access", "refresh"}

    response = api_client.post(REFRESH, {"refresh": first_pair["refresh"]})
    assert response.status_code == 200
    second_pair = response.json()
    assert set(second_pair) == {"access", "refresh"}
    assert second_pair["refresh"] != first_pair["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {second_pair['access']}")
    assert api_client.get(ME).json()["email"] == "new@example.com"
    api_client.credentials()

    assert_problem(
        api_client.post(REFRESH, {"refresh": first_pair["refresh"]}), 401, "token_not_valid"
    )

    assert api_client.post(LOGOUT, {"refresh": second_pair["refresh"]}).status_code == 204
    assert_problem(
        api_client.post(REFRESH, {"refresh": second_pair["refresh"]}), 401, "token_not_valid"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(PASSWORD_RESET, {"email": "NEW@example.com"})
    assert response.status_code == 202
    assert response.json() == ACCEPTED
    assert len(mailoutbox) == 2
    reset_params = email_link_params(mailoutbox[1])

    confirm = {**reset_params, "new_password": NEW_PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(PASSWORD_RESET_CONFIRM, confirm)
    assert response.status_code == 204
    assert len(mailoutbox) == 3
    assert "password was changed" in mailoutbox[2].subject

    old_login = api_client.post(LOGIN, {"email": "new@example.com", "password": PASSWORD})
    assert_problem(old_login, 401, "invalid_credentials")
    new_login = api_client.post(LOGIN, {"email": "new@example.com", "password": NEW_PASSWORD})
    assert new_login.status_code == 200

    assert_problem(api_client.post(PASSWORD_RESET_CONFIRM, confirm), 400, "reset_token_invalid")
