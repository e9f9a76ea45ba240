import pytest
from rest_framework.test import APIClient

from accounts import api_keys


@pytest.fixture
def key_client():
    """``key_client(user, "items:read", ...)``: a client sending a new API key of the user."""

    def make(user, *scopes: str) -> APIClient:
        _, key = api_keys.api_key_create(user=user, name="a script", scopes=list(scopes))
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return client

    return make
