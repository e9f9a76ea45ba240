import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient
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


@pytest.fixture
def grant():
    """``grant(user, "change_item", ...)``: give the user items permissions directly."""

    def add(user: User, *codenames: str) -> User:
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="items", codename__in=codenames)
        )
        assert user.user_permissions.count() == len(codenames)
        return user

    return add


# The users below only ever authenticate with tokens or force_login, so they skip the
# cost of hashing a password.


@pytest.fixture
def staff_user(db) -> User:
    """The staff role: admin-site access plus the "Staff" group of the data migration."""
    staff = User.objects.create(email="staff@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name=STAFF_GROUP))
    return staff


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create(email="root@example.com", is_staff=True, is_superuser=True)
