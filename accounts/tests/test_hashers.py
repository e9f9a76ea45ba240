"""Argon2id first; older hashes still log in and are upgraded on the way."""

import pytest
from django.contrib.auth.hashers import make_password

from accounts.models import User
from accounts.tests.helpers import LOGIN, ME, PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("production_hashers")]


def test_new_password_is_hashed_with_argon2id_at_the_configured_cost(settings):
    user = User.objects.create_user(email="new@example.com", password=PASSWORD)
    assert user.password.startswith("argon2$argon2id$v=19$")
    params = (
        f"m={settings.ARGON2_MEMORY_COST_KIB},t={settings.ARGON2_TIME_COST},"
        f"p={settings.ARGON2_PARALLELISM}$"
    )
    assert params in user.password
    assert user.check_password(PASSWORD)
    assert not user.check_password("wrong")


def _login_and_fetch_me(api_client, email: str):
    response = api_client.post(LOGIN, {"email": email, "password": PASSWORD})
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return api_client.get(ME)


@pytest.mark.parametrize("hasher", ["bcrypt_sha256", "pbkdf2_sha256"])
def test_login_with_legacy_hash_succeeds_and_upgrades_to_argon2(api_client, hasher):
    legacy_hash = make_password(PASSWORD, hasher=hasher)
    user = User.objects.create(email="old@example.com", password=legacy_hash)
    assert user.password.startswith(f"{hasher}$")

    # The token issued at login already carries the digest of the upgraded hash.
    assert _login_and_fetch_me(api_client, user.email).status_code == 200

    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


def test_login_with_cheaper_argon2_hash_rehashes_at_the_configured_cost(api_client, settings):
    settings.ARGON2_TIME_COST = 1
    user = User.objects.create_user(email="old@example.com", password=PASSWORD)
    assert ",t=1," in user.password
    settings.ARGON2_TIME_COST = 2

    assert _login_and_fetch_me(api_client, user.email).status_code == 200

    user.refresh_from_db()
    assert ",t=2," in user.password


def test_failed_login_leaves_a_legacy_hash_alone(api_client):
    legacy_hash = make_password(PASSWORD, hasher="bcrypt_sha256")
    user = User.objects.create(email="old@example.com", password=legacy_hash)
    response = api_client.post(LOGIN, {"email": user.email, "password": "wrong password"})
    assert response.status_code == 401
    user.refresh_from_db()
    assert user.password == legacy_hash
