"""The admin's login form: the API login's throttles (its very counters) and second factor."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts import mfa, totp
from accounts.models import User
from accounts.tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


@pytest.fixture
def staff(django_user_model) -> User:
    return django_user_model.objects.create_user(
        email="staff@example.com", password=PASSWORD, is_staff=True
    )


def log_in(client, email: str, password: str, ip: str = "198.51.100.7"):
    return client.post(
        LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip, follow=False
    )


def refused_as_throttled(response) -> bool:
    return response.status_code == 200 and "Too many login attempts" in response.content.decode()


def test_admin_login_with_the_right_password_logs_in(client, staff):
    response = log_in(client, staff.email, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_wrong_passwords_for_one_account_then_even_the_right_one_is_refused(
    client, staff, throttle_rates
):
    throttle_rates(login_account="3/min")
    for number in range(3):
        response = log_in(client, staff.email, "wrong password", ip=f"198.51.100.{number}")
        assert response.status_code == 200
        assert not refused_as_throttled(response)

    response = log_in(client, staff.email, PASSWORD, ip="198.51.100.99")

    assert refused_as_throttled(response)
    assert "_auth_user_id" not in client.session


def test_one_client_ip_trying_many_accounts_is_refused(client, staff, throttle_rates):
    throttle_rates(login_ip="3/min")
    for number in range(3):
        log_in(client, f"guess{number}@example.com", "wrong password")

    assert refused_as_throttled(log_in(client, staff.email, PASSWORD))
    # Another client is not held back by the first one's attempts.
    assert log_in(client, staff.email, PASSWORD, ip="203.0.113.5").status_code == 302


def test_the_account_limit_counts_every_spelling_of_an_email_as_one(client, staff, throttle_rates):
    throttle_rates(login_account="2/min")
    log_in(client, "Staff@Example.com", "wrong", ip="198.51.100.1")
    log_in(client, "staff@EXAMPLE.COM", "wrong", ip="198.51.100.2")

    assert refused_as_throttled(log_in(client, staff.email, PASSWORD, ip="198.51.100.3"))


def test_api_login_attempts_count_against_the_admin_login_too(
    client, api_client, staff, throttle_rates
):
    throttle_rates(login_account="3/min")
    for number in range(3):
        api_client.post(
            "/api/v1/auth/login/",
            {"email": staff.email, "password": "wrong password"},
            REMOTE_ADDR=f"198.51.100.{number}",
        )

    assert refused_as_throttled(log_in(client, staff.email, PASSWORD, ip="198.51.100.99"))


# --- Two-factor ---------------------------------------------------------------------------


@pytest.fixture
def staff_secret(staff) -> str:
    """``staff`` with an authenticator turned on; its secret."""
    device = mfa.totp_enrol(user=staff)
    mfa.totp_confirm(user=staff, code=_code(device.secret))
    return device.secret


def _code(secret: str, steps_from_now: int = 0) -> str:
    return totp.code_at_step(secret, totp.step_at(time.time()) + steps_from_now)


def log_in_with_code(client, email: str, code: str):
    return client.post(
        LOGIN,
        {"username": email, "password": PASSWORD, "otp_code": code},
        REMOTE_ADDR="198.51.100.7",
    )


def test_the_login_page_asks_for_the_two_factor_code(client):
    page = client.get(LOGIN).content.decode()
    assert 'name="otp_code"' in page
    assert 'autocomplete="one-time-code"' in page


def test_staff_with_an_authenticator_need_its_code_in_the_admin_too(client, staff, staff_secret):
    response = log_in(client, staff.email, PASSWORD)
    assert response.status_code == 200
    assert "Enter the code from your authenticator." in response.content.decode()
    assert "_auth_user_id" not in client.session

    response = log_in_with_code(client, staff.email, _code(staff_secret, 1))
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("000000", "This code is not valid for this account."),
        ("stale", "This code has expired"),
        ("reused", "This code has already been used"),
    ],
)
def test_a_wrong_expired_or_reused_code_is_refused_on_the_admin_page(
    client, staff, staff_secret, code, message
):
    if code == "stale":
        code = _code(staff_secret, -6)
    elif code == "reused":
        code = _code(staff_secret)  # confirming spent the current step
    elif code == _code(staff_secret, 1):
        pytest.skip("the random secret's next code happens to be 000000")
    response = log_in_with_code(client, staff.email, code)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_opens_the_admin_once(client, staff):
    device = mfa.totp_enrol(user=staff)
    recovery = mfa.totp_confirm(user=staff, code=_code(device.secret))[0]
    assert log_in_with_code(client, staff.email, recovery).status_code == 302
    client.logout()
    response = log_in_with_code(client, staff.email, recovery)
    assert "This recovery code has already been used." in response.content.decode()


def test_the_admin_code_is_throttled_per_account(client, staff, staff_secret, throttle_rates):
    throttle_rates(mfa_account="2/min")
    cache.clear()  # confirming counted
    for _ in range(2):
        log_in_with_code(client, staff.email, "000000")
    response = log_in_with_code(client, staff.email, _code(staff_secret, 1))
    assert refused_as_throttled(response)
    assert "_auth_user_id" not in client.session


def test_with_mfa_required_staff_without_an_authenticator_are_refused(client, staff, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    response = log_in(client, staff.email, PASSWORD)
    assert response.status_code == 200
    assert "This admin requires two-factor authentication" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_with_mfa_required_staff_with_an_authenticator_log_in(
    client, staff, staff_secret, settings
):
    settings.MFA_REQUIRED_FOR_STAFF = True
    assert log_in_with_code(client, staff.email, _code(staff_secret, 1)).status_code == 302
