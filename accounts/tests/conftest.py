import pytest
from django.contrib.auth.models import Permission
from rest_framework.throttling import SimpleRateThrottle

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
