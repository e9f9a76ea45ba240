"""Abuse limits of the account endpoints: per client IP and per target account."""

import pytest

from accounts.tests.helpers import (
    EMAIL_VERIFY_RESEND,
    LOGIN,
    PASSWORD,
    PASSWORD_RESET,
    REGISTER,
    assert_problem,
)

pytestmark = pytest.mark.django_db

# Generous defaults, so a test only meets the limit it sets on purpose.
UNLIMITED = "1000/hour"


def _login(client, email: str, password: str = PASSWORD, **headers):
    return client.post(LOGIN, {"email": email, "password": password}, **headers)


def _assert_throttled(response) -> None:
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 3600


def test_login_over_account_limit_is_429_while_other_accounts_work_until_ip_limit(
    api_client, user, other_user, throttle_rates
):
    throttle_rates(login_account="2/hour", login_ip="5/hour")

    assert _login(api_client, user.email, "wrong password").status_code == 401
    assert _login(api_client, user.email).status_code == 200
    # The account's third attempt is refused, even with the right password.
    _assert_throttled(_login(api_client, user.email))

    assert _login(api_client, other_user.email).status_code == 200
    assert _login(api_client, other_user.email, "wrong password").status_code == 401
    # Five requests from this IP so far (the refused one counts for the IP too).
    _assert_throttled(_login(api_client, "carol@example.com"))


def test_login_account_limit_ignores_email_case(api_client, user, throttle_rates):
    throttle_rates(login_account="2/hour", login_ip=UNLIMITED)
    assert _login(api_client, "ann@example.com", "wrong").status_code == 401
    assert _login(api_client, "ANN@example.com", "wrong").status_code == 401
    _assert_throttled(_login(api_client, " Ann@Example.com"))


def test_login_account_limit_holds_across_client_ips(api_client, user, throttle_rates):
    throttle_rates(login_account="2/hour", login_ip=UNLIMITED)
    assert _login(api_client, user.email, "wrong", REMOTE_ADDR="10.0.0.1").status_code == 401
    assert _login(api_client, user.email, "wrong", REMOTE_ADDR="10.0.0.2").status_code == 401
    _assert_throttled(_login(api_client, user.email, REMOTE_ADDR="10.0.0.3"))


def test_login_ip_limit_counts_across_different_emails(api_client, throttle_rates):
    throttle_rates(login_account=UNLIMITED, login_ip="3/hour")
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        assert_problem(_login(api_client, email), 401, "invalid_credentials")
    _assert_throttled(_login(api_client, "d@example.com"))
    # Another client is not affected.
    assert _login(api_client, "d@example.com", REMOTE_ADDR="10.9.9.9").status_code == 401


def test_login_without_proxies_ignores_a_spoofed_forwarded_for(api_client, throttle_rates):
    throttle_rates(login_account=UNLIMITED, login_ip="2/hour")
    for spoofed in ("1.1.1.1", "2.2.2.2"):
        response = _login(api_client, f"{spoofed}@example.com", HTTP_X_FORWARDED_FOR=spoofed)
        assert response.status_code == 401
    _assert_throttled(_login(api_client, "x@example.com", HTTP_X_FORWARDED_FOR="3.3.3.3"))


def test_login_behind_one_proxy_counts_the_last_forwarded_hop(
    api_client, settings, throttle_rates
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    throttle_rates(login_account=UNLIMITED, login_ip="2/hour")

    def login_via_proxy(forwarded_for: str):
        # REMOTE_ADDR is the proxy itself; it appends the address it saw.
        return _login(
            api_client,
            "nobody@example.com",
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    assert login_via_proxy("1.1.1.1, 203.0.113.7").status_code == 401
    assert login_via_proxy("2.2.2.2, 203.0.113.7").status_code == 401
    # A new leftmost value is the client's own claim: still the same client.
    _assert_throttled(login_via_proxy("3.3.3.3, 203.0.113.7"))
    # A different client seen by the proxy has its own counter.
    assert login_via_proxy("203.0.113.8").status_code == 401


@pytest.mark.parametrize(
    ("url", "scope", "body"),
    [
        (REGISTER, "register", {"email": "new@example.com", "password": "short"}),
        (PASSWORD_RESET, "password_reset", {"email": "new@example.com"}),
        (EMAIL_VERIFY_RESEND, "verification", {"email": "new@example.com"}),
    ],
)
def test_email_sending_endpoint_over_account_limit_is_429(
    api_client, throttle_rates, url, scope, body
):
    throttle_rates(**{f"{scope}_account": "1/hour", f"{scope}_ip": UNLIMITED})
    assert api_client.post(url, body).status_code in {202, 400}
    response = api_client.post(url, {**body, "email": "NEW@example.com"})
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert api_client.post(url, {**body, "email": "other@example.com"}).status_code in {202, 400}


@pytest.mark.parametrize(
    ("url", "scope", "body"),
    [
        (REGISTER, "register", {"password": "short"}),
        (PASSWORD_RESET, "password_reset", {}),
        (EMAIL_VERIFY_RESEND, "verification", {}),
    ],
)
def test_email_sending_endpoint_over_ip_limit_is_429(api_client, throttle_rates, url, scope, body):
    throttle_rates(**{f"{scope}_account": UNLIMITED, f"{scope}_ip": "2/hour"})
    for email in ("a@example.com", "b@example.com"):
        assert api_client.post(url, {**body, "email": email}).status_code in {202, 400}
    response = api_client.post(url, {**body, "email": "c@example.com"})
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 3600
