import pytest
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
