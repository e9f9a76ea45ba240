"""Changing the account's email over HTTP: asked with the password, done by the emailed link."""

import uuid

import pytest
from django.core import signing
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import email_change, tokens
from accounts.exceptions import EmailChangeTokenInvalid
from accounts.models import AuthSession, User
from accounts.tests.helpers import (
    EMAIL_CHANGE,
    EMAIL_CHANGE_CONFIRM,
    LOGIN,
    ME,
    PASSWORD,
    REFRESH,
    SESSIONS,
    assert_problem,
    bearer,
    claims,
    email_link,
    email_link_params,
    error_pairs,
    login,
)
from config.tests.helpers import iso

pytestmark = pytest.mark.django_db

NEW_EMAIL = "ann.new@example.com"
ACCEPTED = {"detail": "A confirmation link is on its way to the new address."}


def anonymous() -> APIClient:
    return APIClient(raise_request_exception=False)


def confirmation_link(mailoutbox) -> dict[str, str]:
    """The uid and token of the one link emailed to the new address."""
    (confirmation,) = [message for message in mailoutbox if message.to == [NEW_EMAIL]]
    return email_link_params(confirmation)


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """``ask(client, new_email)``: the change asked for, its emails sent."""

    def post(client, new_email=NEW_EMAIL, password=PASSWORD, **request_meta):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                EMAIL_CHANGE, {"password": password, "new_email": new_email}, **request_meta
            )

    return post


@pytest.fixture
def asked(user, ask, mailoutbox):
    """A change of ``user``'s email to NEW_EMAIL asked from a login: its pair and link."""
    pair = login(user.email)
    assert ask(bearer(pair["access"])).status_code == 202
    return pair, confirmation_link(mailoutbox)


# --- asking ------------------------------------------------------------------------------------


def test_asking_emails_a_link_to_the_new_address_and_a_notice_to_the_old_changing_nothing(
    user, ask, mailoutbox, settings
):
    response = ask(bearer(login(user.email)["access"]), new_email="  Ann.New@Example.COM ")

    assert response.status_code == 202
    assert response.json() == ACCEPTED
    confirmation, notice = sorted(mailoutbox, key=lambda message: message.to != [NEW_EMAIL])
    assert confirmation.to == [NEW_EMAIL]
    assert confirmation.subject == "Confirm your new email address for Keel"
    assert email_link(confirmation).startswith(
        f"{settings.FRONTEND_URL}/confirm-email-change?uid="
    )
    assert email_link_params(confirmation)["uid"] == str(user.pk)
    assert notice.to == ["ann@example.com"]
    assert notice.subject == "Your Keel email address is being changed"
    assert NEW_EMAIL in notice.body
    assert email_link(notice) == f"{settings.FRONTEND_URL}/reset-password"
    user.refresh_from_db()
    assert user.email == "ann@example.com"


def test_the_link_does_not_carry_the_old_address(asked):
    # A mistyped new address lands in a stranger's inbox: the link must not tell them
    # which account asked for it (the token is signed, not encrypted).
    _, link = asked
    payload = signing.loads(link["token"], salt="accounts.email-change")

    assert payload["new"] == NEW_EMAIL
    assert "ann@example.com" not in str(payload)


def test_asking_with_a_wrong_password_is_a_400_and_sends_nothing(user, ask, mailoutbox):
    response = ask(bearer(login(user.email)["access"]), password="not the password at all")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("password", "wrong_password")]
    assert mailoutbox == []


def test_asking_for_the_current_address_in_any_case_is_a_400(user, ask, mailoutbox):
    response = ask(bearer(login(user.email)["access"]), new_email="ANN@example.com")

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("new_email", "email_unchanged")]
    assert mailoutbox == []


def test_asking_for_an_address_another_account_has_is_email_taken(
    user, other_user, ask, mailoutbox
):
    response = ask(bearer(login(user.email)["access"]), new_email="BOB@example.com")

    assert_problem(response, 400, "email_taken")
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("body", "pairs"),
    [
        ({"password": PASSWORD, "new_email": "not an address"}, [("new_email", "invalid")]),
        ({"password": PASSWORD}, [("new_email", "required")]),
        ({"new_email": NEW_EMAIL}, [("password", "required")]),
        ({"password": PASSWORD, "new_email": f"{'a' * 250}@x.io"}, [("new_email", "max_length")]),
    ],
)
def test_asking_with_bad_input_is_a_validation_error(user, body, pairs):
    response = bearer(login(user.email)["access"]).post(EMAIL_CHANGE, body)

    assert error_pairs(assert_problem(response, 400, "validation_error")) == pairs


def test_asking_needs_a_login(ask):
    assert_problem(ask(anonymous()), 401, "not_authenticated")


def test_asking_refuses_an_api_key(user, ask, mailoutbox):
    created = bearer(login(user.email)["access"]).post(
        "/api/v1/auth/api-keys/", {"name": "script", "scopes": ["items:write"]}
    )
    client = anonymous()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created.json()['key']}")

    assert_problem(ask(client), 403, "insufficient_scope")
    assert mailoutbox == []


def test_asking_is_throttled_per_account(user, ask, throttle_rates):
    throttle_rates(email_change_account="2/hour", email_change_ip="1000/hour")
    client = bearer(login(user.email)["access"])

    statuses = [
        ask(client, password="wrong", REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(2)
    ]
    last = ask(client, REMOTE_ADDR="10.0.0.9")

    assert statuses == [400, 400]
    assert_problem(last, 429, "throttled")


def test_asking_is_throttled_per_client_address(user, other_user, ask, throttle_rates):
    throttle_rates(email_change_account="1000/hour", email_change_ip="2/hour")

    assert ask(bearer(login(user.email)["access"]), password="wrong").status_code == 400
    assert ask(bearer(login(other_user.email)["access"]), password="wrong").status_code == 400
    assert_problem(ask(bearer(login(other_user.email)["access"])), 429, "throttled")
    other_address = ask(bearer(login(other_user.email)["access"]), REMOTE_ADDR="10.9.9.9")
    assert other_address.status_code == 202


# --- confirming ---------------------------------------------------------------------------------


def test_confirming_changes_the_email_verified_and_answers_the_user(user, asked):
    response = anonymous().post(EMAIL_CHANGE_CONFIRM, asked[1])

    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.pk),
        "email": NEW_EMAIL,
        "first_name": "",
        "last_name": "",
        "email_verified": True,
        "date_joined": iso(user.date_joined),
    }
    assert anonymous().post(LOGIN, {"email": NEW_EMAIL, "password": PASSWORD}).status_code == 200
    old = anonymous().post(LOGIN, {"email": "ann@example.com", "password": PASSWORD})
    assert_problem(old, 401, "invalid_credentials")


def test_confirming_ends_every_session_but_the_one_that_asked(user, ask, mailoutbox):
    other = login(user.email)
    from_before_sessions = str(RefreshToken.for_user(user))
    asking = login(user.email)
    assert ask(bearer(asking["access"])).status_code == 202

    response = anonymous().post(EMAIL_CHANGE_CONFIRM, confirmation_link(mailoutbox))

    assert response.status_code == 200
    assert_problem(bearer(other["access"]).get(ME), 401, "session_ended")
    for refresh in (other["refresh"], from_before_sessions):
        assert_problem(anonymous().post(REFRESH, {"refresh": refresh}), 401, "token_not_valid")
    listed = bearer(asking["access"]).get(SESSIONS).json()["results"]
    assert [session["id"] for session in listed] == [claims(asking["access"])["sid"]]
    assert anonymous().post(REFRESH, {"refresh": asking["refresh"]}).status_code == 200


def test_confirming_a_change_asked_with_a_token_from_before_sessions_ends_every_session(
    user, ask, mailoutbox
):
    session = login(user.email)
    assert ask(bearer(str(RefreshToken.for_user(user).access_token))).status_code == 202

    confirmed = anonymous().post(EMAIL_CHANGE_CONFIRM, confirmation_link(mailoutbox))

    assert confirmed.status_code == 200

    assert not AuthSession.objects.live().exists()
    assert_problem(
        anonymous().post(REFRESH, {"refresh": session["refresh"]}), 401, "token_not_valid"
    )


def test_a_link_used_once_is_invalid(user, asked):
    assert anonymous().post(EMAIL_CHANGE_CONFIRM, asked[1]).status_code == 200

    again = anonymous().post(EMAIL_CHANGE_CONFIRM, asked[1])

    assert_problem(again, 400, "email_change_token_invalid")


def test_an_expired_link_is_email_change_token_expired(user, asked, settings):
    settings.EMAIL_CHANGE_TIMEOUT = -1

    response = anonymous().post(EMAIL_CHANGE_CONFIRM, asked[1])

    assert_problem(response, 400, "email_change_token_expired")
    user.refresh_from_db()
    assert user.email == "ann@example.com"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda link: {**link, "token": link["token"][:-2] + "xy"}, id="bad-signature"
        ),
        pytest.param(lambda link: {**link, "token": "garbage"}, id="garbage"),
        pytest.param(lambda link: {**link, "uid": str(uuid.uuid4())}, id="unknown-uid"),
        pytest.param(lambda link: {**link, "uid": "not-a-uuid"}, id="malformed-uid"),
    ],
)
def test_a_tampered_link_is_email_change_token_invalid(user, asked, tamper):
    response = anonymous().post(EMAIL_CHANGE_CONFIRM, tamper(asked[1]))

    assert_problem(response, 400, "email_change_token_invalid")
    user.refresh_from_db()
    assert user.email == "ann@example.com"


def test_a_link_for_another_account_is_invalid_for_this_uid(user, other_user, asked):
    response = anonymous().post(EMAIL_CHANGE_CONFIRM, {**asked[1], "uid": str(other_user.pk)})

    assert_problem(response, 400, "email_change_token_invalid")


def test_a_link_of_a_deactivated_account_is_invalid(user, asked):
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_problem(
        anonymous().post(EMAIL_CHANGE_CONFIRM, asked[1]), 400, "email_change_token_invalid"
    )


def test_an_address_registered_by_someone_else_meanwhile_is_email_taken(user, asked):
    User.objects.create_user(email="Ann.New@example.com", password=PASSWORD)

    response = anonymous().post(EMAIL_CHANGE_CONFIRM, asked[1])

    assert_problem(response, 400, "email_taken")
    user.refresh_from_db()
    assert user.email == "ann@example.com"


def test_losing_the_race_for_the_address_at_the_last_moment_is_email_taken(
    user, asked, monkeypatch
):
    # The other account commits between our check and our UPDATE: the unique constraint
    # refuses the UPDATE, which must be email_taken, not a 500.
    User.objects.create_user(email=NEW_EMAIL, password=PASSWORD)
    monkeypatch.setattr(
        type(User.objects), "with_email", lambda manager, email: User.objects.none()
    )

    response = anonymous().post(EMAIL_CHANGE_CONFIRM, asked[1])

    assert_problem(response, 400, "email_taken")
    assert User.objects.get(pk=user.pk).email == "ann@example.com"
    assert AuthSession.objects.get(user=user).ended_at is None


def test_confirming_with_bad_input_is_a_validation_error():
    response = anonymous().post(EMAIL_CHANGE_CONFIRM, {"uid": "x" * 65})

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("uid", "max_length"), ("token", "required")]


def test_of_two_concurrent_uses_of_one_link_the_second_changes_nothing(user, asked, monkeypatch):
    # Both uses checked the link before either wrote: the second one's check saw the
    # account as it was, so it is made to return that stale view here.
    link = asked[1]
    checked = tokens.email_change_token_check(**link)
    assert anonymous().post(EMAIL_CHANGE_CONFIRM, link).status_code == 200
    monkeypatch.setattr(email_change, "email_change_token_check", lambda **_: checked)

    with pytest.raises(EmailChangeTokenInvalid):
        email_change.email_change_confirm(**link)

    assert User.objects.get(pk=user.pk).email == NEW_EMAIL
