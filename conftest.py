import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Throttle counters and cached values must not leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


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
