"""Browser cookie mode: the refresh token as an HttpOnly cookie, refreshed under CSRF."""

import time

import pytest
from rest_framework.test import APIClient

from accounts import mfa, totp
from accounts.tests.helpers import (
    LOGIN,
    LOGIN_MFA,
    LOGOUT,
    ME,
    NEW_PASSWORD,
    PASSWORD,
    PASSWORD_CHANGE,
    REFRESH,
    assert_problem,
    error_pairs,
)

pytestmark = pytest.mark.django_db

COOKIE = "keel_refresh"
REVOKE = "/api/v1/auth/token/revoke/"
COOKIE_MODE = {"HTTP_X_KEEL_TOKEN_TRANSPORT": "cookie"}


@pytest.fixture
def browser() -> APIClient:
    """A client that keeps cookies and, like a browser, is held to the CSRF checks."""
    return APIClient(enforce_csrf_checks=True, raise_request_exception=False)


def log_in(browser, user) -> dict:
    response = browser.post(LOGIN, {"email": user.email, "password": PASSWORD}, **COOKIE_MODE)
    assert response.status_code == 200, response.content
    return response.json()


def csrf(browser) -> dict:
    return {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value}


def test_cookie_mode_login_answers_the_access_token_and_an_httponly_refresh_cookie(browser, user):
    body = log_in(browser, user)
    assert set(body) == {"access"}
    cookie = browser.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth/token/"
    assert int(cookie["max-age"]) == 7 * 24 * 3600
    # The CSRF token the refresh will have to echo, readable by the page's JavaScript.
    assert browser.cookies["csrftoken"]["httponly"] == ""
    browser.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert browser.get(ME).json()["id"] == str(user.pk)


def test_the_refresh_cookie_is_secure_wherever_cookies_are(user, settings):
    settings.JWT_REFRESH_COOKIE_SECURE = True
    browser = APIClient(enforce_csrf_checks=True)
    log_in(browser, user)
    assert browser.cookies[COOKIE]["secure"] is True


def test_body_mode_is_unchanged_and_sets_no_cookie(browser, user):
    response = browser.post(LOGIN, {"email": user.email, "password": PASSWORD})
    assert set(response.json()) == {"access", "refresh"}
    assert COOKIE not in response.cookies


def test_refresh_reads_the_cookie_with_the_csrf_token_and_rotates_it(browser, user):
    log_in(browser, user)
    first = browser.cookies[COOKIE].value

    response = browser.post(REFRESH, {}, **csrf(browser))

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access"}
    assert browser.cookies[COOKIE].value != first
    # The old cookie's token was used up by the rotation.
    browser.cookies[COOKIE] = first
    assert_problem(browser.post(REFRESH, {}, **csrf(browser)), 401, "token_not_valid")


def test_refresh_from_the_cookie_without_the_csrf_token_is_refused(browser, user):
    log_in(browser, user)
    assert_problem(browser.post(REFRESH, {}), 403, "csrf_failed")
    wrong = {"HTTP_X_CSRFTOKEN": "x" * 32}
    assert_problem(browser.post(REFRESH, {}, **wrong), 403, "csrf_failed")


def test_refresh_from_the_cookie_from_an_untrusted_origin_is_refused(browser, user):
    log_in(browser, user)
    response = browser.post(REFRESH, {}, HTTP_ORIGIN="https://evil.example", **csrf(browser))
    assert_problem(response, 403, "csrf_failed")


def test_refresh_with_neither_a_body_token_nor_a_cookie_asks_for_the_token(browser):
    body = assert_problem(browser.post(REFRESH, {}), 400, "validation_error")
    assert error_pairs(body) == [("refresh", "required")]


def test_a_token_in_the_body_needs_no_csrf_token_even_beside_a_cookie(browser, user):
    pair = browser.post(LOGIN, {"email": user.email, "password": PASSWORD}).json()
    log_in(browser, user)
    response = browser.post(REFRESH, {"refresh": pair["refresh"]})
    assert set(response.json()) == {"access", "refresh"}


def test_revoke_under_the_cookie_path_logs_out_and_clears_the_cookie(browser, user):
    log_in(browser, user)
    token = browser.cookies[COOKIE].value

    response = browser.post(REVOKE, {}, **csrf(browser))

    assert response.status_code == 204
    assert response.cookies[COOKIE].value == ""
    assert response.cookies[COOKIE]["path"] == "/api/v1/auth/token/"
    assert_problem(browser.post(REFRESH, {"refresh": token}), 401, "token_not_valid")
    # Logging out again with the dead cookie still clears it, as a 204.
    browser.cookies[COOKIE] = token
    assert browser.post(REVOKE, {}, **csrf(browser)).status_code == 204


def test_revoke_from_the_cookie_without_the_csrf_token_is_refused(browser, user):
    log_in(browser, user)
    assert_problem(browser.post(REVOKE, {}), 403, "csrf_failed")
    assert browser.post(REFRESH, {}, **csrf(browser)).status_code == 200


def test_the_body_logout_still_answers_401_for_a_dead_token(browser):
    assert_problem(browser.post(LOGOUT, {"refresh": "not-a-token"}), 401, "token_not_valid")


def test_a_two_factor_login_completes_in_cookie_mode(browser, user):
    device = mfa.totp_enrol(user=user)
    mfa.totp_confirm(user=user, code=totp.code_at_step(device.secret, totp.step_at(time.time())))
    challenge = browser.post(LOGIN, {"email": user.email, "password": PASSWORD}).json()[
        "challenge"
    ]
    code = totp.code_at_step(device.secret, totp.step_at(time.time()) + 1)

    response = browser.post(LOGIN_MFA, {"challenge": challenge, "code": code}, **COOKIE_MODE)

    assert set(response.json()) == {"access"}
    assert browser.post(REFRESH, {}, **csrf(browser)).status_code == 200


def test_a_password_change_in_cookie_mode_sets_the_new_session_cookie(browser, user):
    access = log_in(browser, user)["access"]
    old = browser.cookies[COOKIE].value
    browser.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = browser.post(
        PASSWORD_CHANGE,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        **COOKIE_MODE,
    )

    assert set(response.json()) == {"access"}
    assert browser.cookies[COOKIE].value != old
    browser.credentials()
    assert browser.post(REFRESH, {}, **csrf(browser)).status_code == 200
