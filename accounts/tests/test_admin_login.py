"""The admin's login form is throttled like the API's login: per client IP and per account."""

import pytest
from django.urls import reverse

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
    throttle_rates(admin_login_account="3/min")
    for number in range(3):
        response = log_in(client, staff.email, "wrong password", ip=f"198.51.100.{number}")
        assert response.status_code == 200
        assert not refused_as_throttled(response)

    response = log_in(client, staff.email, PASSWORD, ip="198.51.100.99")

    assert refused_as_throttled(response)
    assert "_auth_user_id" not in client.session


def test_one_client_ip_trying_many_accounts_is_refused(client, staff, throttle_rates):
    throttle_rates(admin_login_ip="3/min")
    for number in range(3):
        log_in(client, f"guess{number}@example.com", "wrong password")

    assert refused_as_throttled(log_in(client, staff.email, PASSWORD))
    # Another client is not held back by the first one's attempts.
    assert log_in(client, staff.email, PASSWORD, ip="203.0.113.5").status_code == 302


def test_the_account_limit_counts_every_spelling_of_an_email_as_one(client, staff, throttle_rates):
    throttle_rates(admin_login_account="2/min")
    log_in(client, "Staff@Example.com", "wrong", ip="198.51.100.1")
    log_in(client, "staff@EXAMPLE.COM", "wrong", ip="198.51.100.2")

    assert refused_as_throttled(log_in(client, staff.email, PASSWORD, ip="198.51.100.3"))
