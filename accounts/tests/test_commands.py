"""Operator commands: ensure_superuser, and Django's createsuperuser on an email user."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.tests.helpers import NEW_PASSWORD, PASSWORD

pytestmark = pytest.mark.django_db


def _run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def superuser_settings(settings):
    settings.DJANGO_SUPERUSER_EMAIL = "Root@Example.com"
    settings.DJANGO_SUPERUSER_PASSWORD = PASSWORD
    return settings


def test_ensure_superuser_creates_it_from_settings(superuser_settings):
    output = _run("ensure_superuser")

    assert output == "Created superuser root@example.com.\n"
    user = User.objects.get()
    assert user.email == "root@example.com"
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, True, True)
    assert user.check_password(PASSWORD)


def test_ensure_superuser_twice_keeps_the_one_account_and_its_password(superuser_settings):
    _run("ensure_superuser")
    superuser_settings.DJANGO_SUPERUSER_PASSWORD = NEW_PASSWORD

    output = _run("ensure_superuser")

    assert output == "Kept existing superuser root@example.com.\n"
    user = User.objects.get()
    assert user.check_password(PASSWORD)


def test_ensure_superuser_promotes_an_existing_account_of_that_email(superuser_settings):
    User.objects.create(email="root@example.com", is_active=False)
    assert _run("ensure_superuser") == "Kept existing superuser root@example.com.\n"
    user = User.objects.get()
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, True, True)


@pytest.mark.parametrize(
    ("email", "password"),
    [("", ""), ("root@example.com", ""), ("", PASSWORD)],
)
def test_ensure_superuser_without_settings_is_command_error(settings, email, password):
    settings.DJANGO_SUPERUSER_EMAIL = email
    settings.DJANGO_SUPERUSER_PASSWORD = password
    with pytest.raises(CommandError, match="Set DJANGO_SUPERUSER_EMAIL and"):
        call_command("ensure_superuser")
    assert not User.objects.exists()


def test_ensure_superuser_weak_password_is_command_error(superuser_settings):
    superuser_settings.DJANGO_SUPERUSER_PASSWORD = "12345"
    with pytest.raises(CommandError, match=r"^Cannot create the superuser: .*too short"):
        call_command("ensure_superuser")
    assert not User.objects.exists()


def test_ensure_superuser_invalid_email_is_command_error(superuser_settings):
    superuser_settings.DJANGO_SUPERUSER_EMAIL = "root"
    with pytest.raises(CommandError, match=r"^Cannot create the superuser: .*valid email"):
        call_command("ensure_superuser")
    assert not User.objects.exists()


def test_createsuperuser_noinput_with_email_option(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    monkeypatch.delenv("DJANGO_SUPERUSER_EMAIL", raising=False)

    output = _run("createsuperuser", "--noinput", "--email", "Admin@Example.com")

    assert output == "Superuser created successfully.\n"
    user = User.objects.get()
    assert user.email == "admin@example.com"
    assert (user.is_staff, user.is_superuser) == (True, True)
    assert user.check_password(PASSWORD)


def test_createsuperuser_noinput_reads_email_from_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    _run("createsuperuser", "--noinput")

    assert User.objects.get().email == "ops@example.com"


def test_createsuperuser_noinput_refuses_an_email_taken_in_another_case(monkeypatch, user):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", "--noinput", "--email", "ANN@example.com")
    assert User.objects.count() == 1
