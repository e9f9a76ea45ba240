"""Two-factor authentication over HTTP: enrolment, the two-step login, recovery codes."""

import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts import mfa, totp
from accounts.models import RecoveryCode, TotpDevice, User
from accounts.tests.helpers import (
    LOGIN,
    LOGIN_MFA,
    ME,
    MFA,
    MFA_RECOVERY_CODES,
    MFA_TOTP,
    MFA_TOTP_CONFIRM,
    PASSWORD,
    PROBLEM,
    PROBLEM_KEYS,
    assert_problem,
    error_pairs,
)

pytestmark = pytest.mark.django_db


def code_now(secret: str, *, steps_from_now: int = 0) -> str:
    return totp.code_at_step(secret, totp.step_at(time.time()) + steps_from_now)


def enrol(client) -> str:
    response = client.post(MFA_TOTP)
    assert response.status_code == 201, response.content
    return response.json()["secret"]


@pytest.fixture
def enrolled(auth_client, user):
    """``user`` with two-factor on: its secret and recovery codes."""
    secret = enrol(auth_client)
    response = auth_client.post(MFA_TOTP_CONFIRM, {"code": code_now(secret)})
    assert response.status_code == 200, response.content
    return {"secret": secret, "recovery_codes": response.json()["recovery_codes"]}


def challenge_for(api_client, user) -> str:
    response = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body) == PROBLEM_KEYS | {"challenge"}
    assert body["code"] == "mfa_required"
    return body["challenge"]


def login_mfa(api_client, challenge: str, code: str):
    return api_client.post(LOGIN_MFA, {"challenge": challenge, "code": code})


# --- Enrolment --------------------------------------------------------------------------


def test_enrolment_shows_the_secret_and_an_otpauth_uri_with_the_rfc_parameters(auth_client, user):
    response = auth_client.post(MFA_TOTP)
    assert response.status_code == 201
    body = response.json()
    uri = urlsplit(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query) == {
        "secret": [body["secret"]],
        "issuer": ["Keel"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
    # Pending until confirmed: login still takes the password alone.
    assert auth_client.get(MFA).json() == {
        "enabled": False,
        "confirmed_at": None,
        "recovery_codes_remaining": 0,
    }


def test_confirming_with_a_code_turns_it_on_with_ten_recovery_codes_and_a_notice(
    auth_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    secret = enrol(auth_client)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(MFA_TOTP_CONFIRM, {"code": code_now(secret)})
    assert response.status_code == 200
    codes = response.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    status = auth_client.get(MFA).json()
    assert status["enabled"] is True
    assert status["recovery_codes_remaining"] == 10
    assert [message.subject for message in mailoutbox] == [
        "Two-factor authentication is on for your Keel account"
    ]
    # Only digests are stored.
    stored = set(RecoveryCode.objects.filter(user=user).values_list("digest", flat=True))
    assert not stored & set(codes)


@pytest.mark.parametrize(
    ("steps_from_now", "code"),
    [(-5, "mfa_code_expired"), (-19, "mfa_code_expired"), (3, "mfa_code_invalid")],
)
def test_confirming_with_an_old_or_wrong_code_is_refused_and_stays_off(
    auth_client, steps_from_now, code
):
    secret = enrol(auth_client)
    body = assert_problem(
        auth_client.post(
            MFA_TOTP_CONFIRM, {"code": code_now(secret, steps_from_now=steps_from_now)}
        ),
        400,
        "validation_error",
    )
    assert error_pairs(body) == [("code", code)]
    assert auth_client.get(MFA).json()["enabled"] is False


@pytest.mark.parametrize("code", ["１２３４５６", "١٢٣٤٥٦", "12345é"])
def test_a_code_of_other_digits_or_letters_is_a_wrong_code_not_an_error(auth_client, code):
    enrol(auth_client)
    body = assert_problem(
        auth_client.post(MFA_TOTP_CONFIRM, {"code": code}), 400, "validation_error"
    )
    assert error_pairs(body) == [("code", "mfa_code_invalid")]


def test_confirming_accepts_the_neighbouring_steps_for_clock_drift(auth_client):
    secret = enrol(auth_client)
    response = auth_client.post(MFA_TOTP_CONFIRM, {"code": code_now(secret, steps_from_now=-1)})
    assert response.status_code == 200


def test_confirming_without_enrolling_is_a_conflict(auth_client):
    assert_problem(
        auth_client.post(MFA_TOTP_CONFIRM, {"code": "123456"}), 409, "mfa_not_enrolling"
    )


def test_enrolling_again_replaces_a_pending_secret_but_not_a_confirmed_one(auth_client, user):
    first, second = enrol(auth_client), enrol(auth_client)
    assert first != second
    assert TotpDevice.objects.get(user=user).secret == second
    auth_client.post(MFA_TOTP_CONFIRM, {"code": code_now(second)})
    assert_problem(auth_client.post(MFA_TOTP), 409, "mfa_already_enabled")
    assert_problem(
        auth_client.post(MFA_TOTP_CONFIRM, {"code": code_now(second)}), 409, "mfa_already_enabled"
    )


# --- The two-step login -----------------------------------------------------------------


def test_login_with_two_factor_on_answers_a_challenge_and_the_code_completes_it(
    api_client, user, enrolled
):
    challenge = challenge_for(api_client, user)
    response = login_mfa(api_client, challenge, code_now(enrolled["secret"], steps_from_now=1))
    assert response.status_code == 200, response.content
    pair = response.json()
    assert set(pair) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert api_client.get(ME).json()["id"] == str(user.pk)


def test_a_wrong_password_never_reaches_the_second_factor(api_client, user, enrolled):
    response = api_client.post(LOGIN, {"email": user.email, "password": "not it at all"})
    assert_problem(response, 401, "invalid_credentials")


def test_a_code_works_once(api_client, user, enrolled):
    code = code_now(enrolled["secret"], steps_from_now=1)
    challenge = challenge_for(api_client, user)
    assert login_mfa(api_client, challenge, code).status_code == 200
    assert_problem(login_mfa(api_client, challenge, code), 401, "mfa_code_reused")


def test_an_earlier_step_than_the_last_used_is_refused_as_reused(api_client, user, enrolled):
    # Confirming used the current step; the one before it is still in the window.
    challenge = challenge_for(api_client, user)
    older = code_now(enrolled["secret"], steps_from_now=-1)
    assert_problem(login_mfa(api_client, challenge, older), 401, "mfa_code_reused")


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("000000", "mfa_code_invalid"),
        ("abcde-fghjk", "mfa_code_invalid"),
        ("", "validation_error"),
    ],
)
def test_wrong_codes_are_refused_with_their_reason(api_client, user, enrolled, code, problem):
    challenge = challenge_for(api_client, user)
    if code == "000000" and code_now(enrolled["secret"], steps_from_now=1) == code:
        pytest.skip("the random secret's next code happens to be 000000")
    status = 400 if problem == "validation_error" else 401
    assert_problem(login_mfa(api_client, challenge, code), status, problem)


def test_an_expired_code_is_refused_as_expired(api_client, user, enrolled):
    challenge = challenge_for(api_client, user)
    stale = code_now(enrolled["secret"], steps_from_now=-6)
    assert_problem(login_mfa(api_client, challenge, stale), 401, "mfa_code_expired")


def test_a_recovery_code_logs_in_once_in_any_case_or_spacing(api_client, user, enrolled):
    recovery = enrolled["recovery_codes"][0]
    challenge = challenge_for(api_client, user)
    typed = f"  {recovery.upper().replace('-', ' ')} "
    assert login_mfa(api_client, challenge, typed).status_code == 200
    assert_problem(login_mfa(api_client, challenge, recovery), 401, "recovery_code_used")
    api_client.force_authenticate(user)
    assert api_client.get(MFA).json()["recovery_codes_remaining"] == 9


def test_an_expired_challenge_is_refused(api_client, user, enrolled, settings):
    challenge = challenge_for(api_client, user)
    settings.MFA_CHALLENGE_SECONDS = -1
    code = code_now(enrolled["secret"], steps_from_now=1)
    assert_problem(login_mfa(api_client, challenge, code), 401, "mfa_challenge_expired")


@pytest.mark.parametrize("change", ["tampered", "password changed", "deactivated", "deleted"])
def test_a_challenge_that_no_longer_holds_is_refused(api_client, user, enrolled, change):
    challenge = challenge_for(api_client, user)
    if change == "tampered":
        challenge = challenge[:-2] + ("AA" if not challenge.endswith("AA") else "BB")
    elif change == "password changed":
        user.set_password("another long passphrase")
        user.save()
    elif change == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        user.delete()
    code = code_now(enrolled["secret"], steps_from_now=1)
    assert_problem(login_mfa(api_client, challenge, code), 401, "mfa_challenge_invalid")


def test_the_second_step_is_throttled_per_account_whatever_the_ip(
    api_client, user, enrolled, throttle_rates
):
    throttle_rates(mfa_account="3/min", mfa_ip="100/min")
    challenge = challenge_for(api_client, user)
    cache.clear()  # enrolling and confirming counted too
    for attempt in range(3):
        response = api_client.post(
            LOGIN_MFA,
            {"challenge": challenge, "code": "000000"},
            REMOTE_ADDR=f"10.0.0.{attempt + 1}",
        )
        assert response.status_code == 401
    response = api_client.post(
        LOGIN_MFA,
        {"challenge": challenge, "code": code_now(enrolled["secret"], steps_from_now=1)},
        REMOTE_ADDR="10.0.0.9",
    )
    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


# --- Disabling and regenerating -----------------------------------------------------------


def test_disabling_takes_the_password_and_a_code_and_login_is_one_step_again(
    auth_client, api_client, user, enrolled, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(
            MFA_TOTP,
            {"password": PASSWORD, "code": code_now(enrolled["secret"], steps_from_now=1)},
        )
    assert response.status_code == 204, response.content
    assert not TotpDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert mailoutbox[-1].subject == "Two-factor authentication is off for your Keel account"
    response = api_client.post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200


def test_disabling_with_a_recovery_code_works_for_a_lost_authenticator(auth_client, enrolled):
    response = auth_client.delete(
        MFA_TOTP, {"password": PASSWORD, "code": enrolled["recovery_codes"][3]}
    )
    assert response.status_code == 204


@pytest.mark.parametrize(
    ("password", "code", "expected"),
    [
        ("wrong password here", None, [("password", "wrong_password")]),
        (PASSWORD, "000000", [("code", "mfa_code_invalid")]),
    ],
)
def test_disabling_with_a_wrong_password_or_code_keeps_it_on(
    auth_client, user, enrolled, password, code, expected
):
    code = code or code_now(enrolled["secret"], steps_from_now=1)
    if code == code_now(enrolled["secret"], steps_from_now=1) and expected[0][0] == "code":
        pytest.skip("the random secret's next code happens to be 000000")
    body = assert_problem(
        auth_client.delete(MFA_TOTP, {"password": password, "code": code}),
        400,
        "validation_error",
    )
    assert error_pairs(body) == expected
    assert TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def test_disabling_when_off_is_a_conflict(auth_client):
    response = auth_client.delete(MFA_TOTP, {"password": PASSWORD, "code": "123456"})
    assert_problem(response, 409, "mfa_not_enabled")


def test_regenerating_recovery_codes_retires_the_old_ones(api_client, auth_client, user, enrolled):
    response = auth_client.post(
        MFA_RECOVERY_CODES,
        {"password": PASSWORD, "code": code_now(enrolled["secret"], steps_from_now=1)},
    )
    assert response.status_code == 200
    fresh = response.json()["recovery_codes"]
    assert len(fresh) == 10
    assert not set(fresh) & set(enrolled["recovery_codes"])
    challenge = challenge_for(api_client, user)
    old = enrolled["recovery_codes"][0]
    assert_problem(login_mfa(api_client, challenge, old), 401, "mfa_code_invalid")
    assert login_mfa(api_client, challenge, fresh[0]).status_code == 200


# --- Who may call what --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", MFA),
        ("post", MFA_TOTP),
        ("delete", MFA_TOTP),
        ("post", MFA_TOTP_CONFIRM),
        ("post", MFA_RECOVERY_CODES),
    ],
)
def test_the_mfa_endpoints_need_a_login_and_refuse_api_keys(api_client, user, method, path):
    assert_problem(getattr(api_client, method)(path, {}), 401, "not_authenticated")
    from accounts.api_keys import api_key_create

    _, key = api_key_create(user=user, name="script", scopes=["items:write"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert_problem(getattr(api_client, method)(path, {}), 403, "insufficient_scope")


def test_one_users_codes_do_not_open_another_account(api_client, user, other_user, enrolled):
    # Bob has his own authenticator; Ann's current code and recovery codes are not his.
    bob = api_client.__class__(raise_request_exception=False)
    bob.force_authenticate(other_user)
    bob_secret = enrol(bob)
    bob.post(MFA_TOTP_CONFIRM, {"code": code_now(bob_secret)})
    challenge = challenge_for(api_client, other_user)
    for code in (code_now(enrolled["secret"], steps_from_now=1), enrolled["recovery_codes"][0]):
        if code == code_now(bob_secret, steps_from_now=1):
            continue
        assert_problem(login_mfa(api_client, challenge, code), 401, "mfa_code_invalid")


def test_mfa_status_costs_two_queries_its_user_being_cached(
    auth_client, enrolled, django_assert_num_queries
):
    with django_assert_num_queries(2):
        assert auth_client.get(MFA).status_code == 200


# --- Racing (needs row locks between connections: PostgreSQL) ----------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_logins_racing_with_one_code_let_exactly_one_in(user):
    device = mfa.totp_enrol(user=user)
    mfa.totp_confirm(user=user, code=code_now(device.secret))
    code = code_now(device.secret, steps_from_now=1)
    challenge = challenge_for(APIClient(), user)
    barrier = threading.Barrier(2)
    statuses = []

    def attempt():
        try:
            client = APIClient(raise_request_exception=False)
            barrier.wait()
            statuses.append(login_mfa(client, challenge, code).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 401]
