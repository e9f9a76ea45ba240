import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from config.settings import base


@pytest.fixture
def production_hashers(settings):
    """The production password hashers (Argon2id first), for tests about hashing itself."""
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


@pytest.fixture
def user_manager(db) -> User:
    """A user granted only ``accounts.change_user``."""
    manager = User.objects.create(email="manager@example.com")
    manager.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="change_user")
    )
    return manager
