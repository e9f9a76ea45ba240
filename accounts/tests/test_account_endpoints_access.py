"""Every account endpoint added for issue 14, walked anonymously, as another user and with
an API key: 401 without credentials, 404 for another user's object, 403 for a key."""

import pytest
from rest_framework.test import APIClient

from accounts import api_keys, services
from accounts.models import AuthSession
from accounts.tests.helpers import (
    EMAIL_CHANGE,
    MFA,
    MFA_RECOVERY_CODES,
    MFA_TOTP,
    MFA_TOTP_CONFIRM,
    PASSWORD,
    SESSIONS,
    assert_problem,
)

pytestmark = pytest.mark.django_db

API_KEYS = "/api/v1/auth/api-keys/"

# (method, path) of every endpoint that needs a login; "{key}" and "{session}" are
# objects of the owner (Ann).
SIGNED_IN = [
    ("get", API_KEYS),
    ("post", API_KEYS),
    ("delete", API_KEYS + "{key}/"),
    ("get", SESSIONS),
    ("delete", SESSIONS + "{session}/"),
    ("get", MFA),
    ("post", MFA_TOTP),
    ("delete", MFA_TOTP),
    ("post", MFA_TOTP_CONFIRM),
    ("post", MFA_RECOVERY_CODES),
    ("post", EMAIL_CHANGE),
]


@pytest.fixture
def anns(user):
    """Ann's API key and session, which nobody else may touch."""
    api_key, _ = api_keys.api_key_create(user=user, name="ann's script", scopes=["items:read"])
    services.user_login(email=user.email, password=PASSWORD)
    return {"key": api_key.pk, "session": AuthSession.objects.get(user=user).pk}


def request(client: APIClient, method: str, path: str, anns: dict):
    return getattr(client, method)(path.format(**anns), {}, format="json")


@pytest.mark.parametrize(("method", "path"), SIGNED_IN)
def test_anonymous_callers_are_asked_to_authenticate(api_client, anns, method, path):
    response = request(api_client, method, path, anns)
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"]


@pytest.mark.parametrize(("method", "path"), SIGNED_IN)
def test_an_api_key_cannot_reach_the_account_endpoints(api_client, user, anns, method, path):
    _, key = api_keys.api_key_create(user=user, name="everything", scopes=["items:write"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert_problem(request(api_client, method, path, anns), 403, "insufficient_scope")


@pytest.mark.parametrize(
    "path", [API_KEYS + "{key}/", SESSIONS + "{session}/"], ids=["api key", "session"]
)
def test_another_users_objects_are_not_found_and_stay(client_for, other_user, anns, path):
    response = client_for(other_user).delete(path.format(**anns))
    assert_problem(response, 404, "not_found")
    assert AuthSession.objects.filter(pk=anns["session"], ended_at__isnull=True).exists()
    assert api_keys.ApiKey.objects.filter(pk=anns["key"], revoked_at__isnull=True).exists()


@pytest.mark.parametrize("path", [API_KEYS, SESSIONS], ids=["api keys", "sessions"])
def test_another_users_lists_do_not_show_the_owners_objects(client_for, other_user, anns, path):
    listed = client_for(other_user).get(path).json()["results"]
    assert {row["id"] for row in listed}.isdisjoint({str(anns["key"]), str(anns["session"])})


def test_another_users_two_factor_state_is_their_own(client_for, user, other_user):
    client_for(user).post(MFA_TOTP)  # Ann starts enrolling
    bob = client_for(other_user)
    assert bob.get(MFA).json()["enabled"] is False
    # Bob has nothing to confirm: Ann's pending device is not his.
    assert_problem(bob.post(MFA_TOTP_CONFIRM, {"code": "123456"}), 409, "mfa_not_enrolling")
