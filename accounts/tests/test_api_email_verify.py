"""Verifying an email address over HTTP, and resending the verification email."""

import uuid
from dataclasses import asdict

import pytest

from accounts import services
from accounts.models import User
from accounts.tests.helpers import (
    ACCEPTED,
    EMAIL_VERIFY,
    EMAIL_VERIFY_RESEND,
    assert_problem,
    email_link_params,
)
from accounts.tokens import email_verification_token_make

pytestmark = pytest.mark.django_db


# --- Email verification -------------------------------------------------------------------


def test_email_verify_expired_token_is_verification_token_expired(api_client, user, settings):
    link = email_verification_token_make(user=user)
    settings.EMAIL_VERIFICATION_TIMEOUT = -1
    response = api_client.post(EMAIL_VERIFY, {"uid": link.uid, "token": link.token})
    assert_problem(response, 400, "verification_token_expired")
    user.refresh_from_db()
    assert user.email_verified_at is None


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda uid, token: (uid, token[:-2] + ("xx" if token[-2:] != "xx" else "yy")),
            id="bad-signature",
        ),
        pytest.param(lambda uid, token: (uid, "garbage"), id="garbage"),
        pytest.param(lambda uid, token: (str(uuid.uuid4()), token), id="unknown-uid"),
        pytest.param(lambda uid, token: ("not-a-uuid", token), id="malformed-uid"),
    ],
)
def test_email_verify_tampered_link_is_verification_token_invalid(api_client, user, tamper):
    link = email_verification_token_make(user=user)
    uid, token = tamper(link.uid, link.token)
    response = api_client.post(EMAIL_VERIFY, {"uid": uid, "token": token})
    assert_problem(response, 400, "verification_token_invalid")
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_email_verify_token_of_another_user_is_invalid_for_this_uid(api_client, user, other_user):
    link = email_verification_token_make(user=other_user)
    response = api_client.post(EMAIL_VERIFY, {"uid": str(user.pk), "token": link.token})
    assert_problem(response, 400, "verification_token_invalid")


def test_email_verify_token_is_invalid_once_the_email_changed(api_client, user):
    link = email_verification_token_make(user=user)
    user.email = "ann.new@example.com"
    user.save()
    response = api_client.post(EMAIL_VERIFY, {"uid": link.uid, "token": link.token})
    assert_problem(response, 400, "verification_token_invalid")


def test_email_verify_of_inactive_user_is_invalid(api_client, user):
    link = email_verification_token_make(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = api_client.post(EMAIL_VERIFY, {"uid": link.uid, "token": link.token})
    assert_problem(response, 400, "verification_token_invalid")


def test_email_verify_twice_keeps_the_first_verification_time(api_client, user):
    link = asdict(email_verification_token_make(user=user))
    assert api_client.post(EMAIL_VERIFY, link).status_code == 200
    user.refresh_from_db()
    first_verified_at = user.email_verified_at
    assert first_verified_at is not None

    response = api_client.post(EMAIL_VERIFY, link)
    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    user.refresh_from_db()
    assert user.email_verified_at == first_verified_at


# --- Resending the verification email -----------------------------------------------------


def test_email_verify_resend_answers_alike_whatever_the_account_state(
    api_client, user, other_user, mailoutbox, django_capture_on_commit_callbacks
):
    services.email_verify(**asdict(email_verification_token_make(user=other_user)))
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            api_client.post(EMAIL_VERIFY_RESEND, {"email": email})
            for email in ("nobody@example.com", other_user.email, "ANN@example.com")
        ]
    assert {response.status_code for response in responses} == {202}
    assert [response.json() for response in responses] == [ACCEPTED] * 3
    # Only the unverified account gets a link, and it works.
    assert [message.to for message in mailoutbox] == [[user.email]]
    assert api_client.post(EMAIL_VERIFY, email_link_params(mailoutbox[0])).status_code == 200
