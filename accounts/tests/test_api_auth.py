"""Registration, email verification, login, refresh, logout and password reset over HTTP."""

import uuid
from dataclasses import asdict

import pytest
from django.contrib.auth.models import Group
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import User
from accounts.roles import STAFF_GROUP
from accounts.tests.helpers import (
    EMAIL_VERIFY,
    EMAIL_VERIFY_RESEND,
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
    error_pairs,
)
from accounts.tokens import email_verification_token_make, password_reset_token_make

pytestmark = pytest.mark.django_db

USER_KEYS = {"id", "email", "first_name", "last_name", "email_verified", "date_joined"}
ACCEPTED = {"detail": "If an account matches, an email is on its way."}


def _without_request_id(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "request_id"}


# --- The whole lifecycle ------------------------------------------------------------------


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


# --- Registration -------------------------------------------------------------------------


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


# --- Login --------------------------------------------------------------------------------


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


# --- Refresh and logout -------------------------------------------------------------------


def test_refresh_of_deactivated_user_is_rejected(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_problem(api_client.post(REFRESH, {"refresh": refresh}), 401, "token_not_valid")


def test_refresh_with_an_access_token_is_rejected(api_client, user):
    access = services.token_pair_issue(user=user).access
    assert_problem(api_client.post(REFRESH, {"refresh": access}), 401, "token_not_valid")


@pytest.mark.parametrize("raw", ["garbage", "a.b.c", "x" * 4096])
def test_refresh_with_malformed_token_is_rejected(api_client, raw):
    assert_problem(api_client.post(REFRESH, {"refresh": raw}), 401, "token_not_valid")


def test_refresh_with_blank_or_oversized_token_is_validation_error(api_client):
    blank = assert_problem(api_client.post(REFRESH, {"refresh": ""}), 400, "validation_error")
    assert error_pairs(blank) == [("refresh", "blank")]
    huge = assert_problem(
        api_client.post(REFRESH, {"refresh": "x" * 4097}), 400, "validation_error"
    )
    assert error_pairs(huge) == [("refresh", "max_length")]


def test_refresh_token_not_recorded_as_issued_is_rejected(api_client, user):
    refresh = RefreshToken.for_user(user)
    # The signature is valid, but no row says this server handed the token out.
    OutstandingToken.objects.filter(jti=refresh["jti"]).delete()
    assert_problem(api_client.post(REFRESH, {"refresh": str(refresh)}), 401, "token_not_valid")


def test_logout_twice_with_one_refresh_token_is_rejected(api_client, user):
    refresh = services.token_pair_issue(user=user).refresh
    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 204
    assert_problem(api_client.post(LOGOUT, {"refresh": refresh}), 401, "token_not_valid")


def test_logout_revokes_only_that_session(api_client, user):
    this_session = services.token_pair_issue(user=user).refresh
    other_session = services.token_pair_issue(user=user).refresh
    assert api_client.post(LOGOUT, {"refresh": this_session}).status_code == 204
    assert api_client.post(REFRESH, {"refresh": other_session}).status_code == 200


# --- Password reset -----------------------------------------------------------------------


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
