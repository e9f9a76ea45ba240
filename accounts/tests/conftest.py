import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.roles import STAFF_GROUP


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client sending a real access token of that user."""

    def make(user: User) -> APIClient:
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        return client

    return make


# Users below only ever authenticate with tokens, so they skip the cost of hashing.


@pytest.fixture
def staff_user(db) -> User:
    """The staff role: admin-site access plus the "Staff" group of the data migration."""
    staff = User.objects.create(email="staff@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name=STAFF_GROUP))
    return staff


@pytest.fixture
def user_manager(db) -> User:
    """A user granted only ``accounts.change_user``."""
    manager = User.objects.create(email="manager@example.com")
    manager.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="change_user")
    )
    return manager


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def throttle_rates(monkeypatch):
    """``throttle_rates(login_account="2/min")`` sets rates for one test.

    DRF copies ``DEFAULT_THROTTLE_RATES`` onto ``SimpleRateThrottle.THROTTLE_RATES`` at
    import, so overriding the setting alone would not reach the throttles.
    """

    def override(**rates: str) -> None:
        merged = {**SimpleRateThrottle.THROTTLE_RATES, **rates}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", merged)

    return override
