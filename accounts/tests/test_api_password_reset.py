"""Requesting and confirming a password reset over HTTP."""

import uuid

import pytest

from accounts import services
from accounts.models import User
from accounts.tests.helpers import (
    ACCEPTED,
    ME,
    NEW_PASSWORD,
    PASSWORD,
    PASSWORD_RESET,
    PASSWORD_RESET_CONFIRM,
    REFRESH,
    assert_problem,
    error_pairs,
)
from accounts.tokens import password_reset_token_make

pytestmark = pytest.mark.django_db


def test_password_reset_request_answers_alike_for_known_and_unknown_email(
    api_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        unknown = api_client.post(PASSWORD_RESET, {"email": "nobody@example.com"})
        known = api_client.post(PASSWORD_RESET, {"email": user.email})
    assert unknown.status_code == known.status_code == 202
    assert unknown["Content-Type"] == known["Content-Type"] == "application/json"
    assert unknown.json() == known.json() == ACCEPTED
    assert [message.to for message in mailoutbox] == [[user.email]]


def test_password_reset_request_for_inactive_user_sends_nothing(
    api_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=user.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(PASSWORD_RESET, {"email": user.email})
    assert response.status_code == 202
    assert response.json() == ACCEPTED
    assert mailoutbox == []


def test_password_reset_confirm_expired_token_is_reset_token_expired(api_client, user, settings):
    link = password_reset_token_make(user=user)
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = api_client.post(
        PASSWORD_RESET_CONFIRM,
        {"uid": link.uid, "token": link.token, "new_password": NEW_PASSWORD},
    )
    assert_problem(response, 400, "reset_token_expired")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda uid, token: (uid, token[:-1] + ("0" if token[-1] != "0" else "1")),
            id="bad-hash",
        ),
        pytest.param(lambda uid, token: (uid, "garbage"), id="garbage"),
        pytest.param(lambda uid, token: (str(uuid.uuid4()), token), id="unknown-uid"),
        pytest.param(lambda uid, token: ("not-a-uuid", token), id="malformed-uid"),
    ],
)
def test_password_reset_confirm_tampered_link_is_reset_token_invalid(api_client, user, tamper):
    link = password_reset_token_make(user=user)
    uid, token = tamper(link.uid, link.token)
    response = api_client.post(
        PASSWORD_RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    )
    assert_problem(response, 400, "reset_token_invalid")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_confirm_token_of_another_user_is_invalid(api_client, user, other_user):
    link = password_reset_token_make(user=other_user)
    response = api_client.post(
        PASSWORD_RESET_CONFIRM,
        {"uid": str(user.pk), "token": link.token, "new_password": NEW_PASSWORD},
    )
    assert_problem(response, 400, "reset_token_invalid")


def test_password_reset_confirm_weak_password_keeps_the_token_usable(api_client, user):
    link = password_reset_token_make(user=user)
    weak = api_client.post(
        PASSWORD_RESET_CONFIRM, {"uid": link.uid, "token": link.token, "new_password": "abc"}
    )
    body = assert_problem(weak, 400, "validation_error")
    assert {attr for attr, _ in error_pairs(body)} == {"new_password"}

    strong = api_client.post(
        PASSWORD_RESET_CONFIRM,
        {"uid": link.uid, "token": link.token, "new_password": NEW_PASSWORD},
    )
    assert strong.status_code == 204


def test_password_reset_confirm_revokes_every_session(api_client, user):
    pair = services.token_pair_issue(user=user)
    link = password_reset_token_make(user=user)
    response = api_client.post(
        PASSWORD_RESET_CONFIRM,
        {"uid": link.uid, "token": link.token, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204
    assert_problem(api_client.post(REFRESH, {"refresh": pair.refresh}), 401, "token_not_valid")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    assert_problem(api_client.get(ME), 401, "password_changed")
