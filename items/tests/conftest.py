import pytest
from django.contrib.auth.models import Permission

from accounts.models import User


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
