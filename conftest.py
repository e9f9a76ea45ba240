import contextlib

import pytest
import redis
from django.contrib.auth.models import Group
from django.core.cache import cache, caches
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from accounts import auth_cache
from accounts.authentication import verified_tokens
from config.api.exceptions import CacheUnavailable
from config.ops import instance, replicas
from config.ops.cache import RedisCache, deferred_discard
from config.ops.dependencies import cache_breaker, storage_breaker
from storage.health import forget_last_success


@pytest.fixture(autouse=True)
def _isolated_state():
    """Nothing leaks from one test into the next: cached values and throttle counters,
    and per-process memory (circuit breakers, the storage probe's last success)."""
    _forget_process_state()
    cache.clear()
    yield
    _forget_process_state()
    # A test may leave the cache pointing at a Redis that is down on purpose.
    with contextlib.suppress(CacheUnavailable):
        cache.clear()


def _forget_process_state() -> None:
    auth_cache.users.clear()
    verified_tokens.clear()
    deferred_discard()
    cache_breaker.reset()
    storage_breaker.reset()
    instance.leave()
    forget_last_success()
    replicas.health.forget()


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Local files go to a temporary folder, never into the project's media/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storage.backends.LocalFileStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture
def api_client() -> APIClient:
    # Unexpected exceptions become 500 problem responses, as in production.
    return APIClient(raise_request_exception=False)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        email="ann@example.com", password="correct horse battery staple"
    )


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(
        email="bob@example.com", password="correct horse battery staple"
    )


@pytest.fixture
def auth_client(api_client, user) -> APIClient:
    """A client sending a real access token, so tests cross the real JWT path."""
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return api_client


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client sending a real access token of that user."""

    def make(user) -> APIClient:
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        return client

    return make


# The users below only authenticate with tokens or force_login: no password to hash.


@pytest.fixture
def staff_user(django_user_model):
    """The staff role: admin-site access plus the "Staff" group of the data migrations."""
    staff = django_user_model.objects.create(email="staff@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name="Staff"))
    return staff


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create(
        email="root@example.com", is_staff=True, is_superuser=True
    )


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


@pytest.fixture
def round_trips(monkeypatch):
    """Counts the commands (or pipelines) the suite's Redis cache sends: one each."""
    if not isinstance(caches["default"], RedisCache):
        pytest.skip("the cache is not Redis (set REDIS_URL)")
    sent = []
    real_send = redis.connection.AbstractConnection.send_packed_command

    def send(self, command, check_health=True):
        sent.append(command)
        return real_send(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", send)
    return sent
