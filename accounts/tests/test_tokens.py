"""Forged, stale and misused JWTs are 401 problems on a protected endpoint, never 500."""

import base64
import json
import time

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import auth_cache, services
from accounts.models import User
from accounts.tests.helpers import ME, assert_problem

pytestmark = pytest.mark.django_db


def _claims(user: User) -> dict:
    """The claims of a genuine access token of the user, to alter one at a time."""
    return jwt.decode(str(AccessToken.for_user(user)), options={"verify_signature": False})


def _sign(claims: dict, key: str | None = None, algorithm: str | None = None) -> str:
    return jwt.encode(
        claims,
        settings.SIMPLE_JWT["SIGNING_KEY"] if key is None else key,
        algorithm=algorithm or settings.SIMPLE_JWT["ALGORITHM"],
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _get_me(api_client, token: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client.get(ME)


def _assert_rejected(response, code: str = "token_not_valid") -> None:
    assert_problem(response, 401, code)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_resigned_with_the_real_key_is_accepted(api_client, user):
    # The control for every forgery below: the helpers themselves make valid tokens.
    response = _get_me(api_client, _sign(_claims(user)))
    assert response.status_code == 200
    assert response.json()["id"] == str(user.pk)


def test_token_with_payload_swapped_under_the_original_signature_is_401(
    api_client, user, other_user
):
    header, _, signature = str(AccessToken.for_user(user)).split(".")
    forged_payload = _b64({**_claims(user), "user_id": str(other_user.pk)})
    _assert_rejected(_get_me(api_client, f"{header}.{forged_payload}.{signature}"))


def test_token_with_altered_signature_is_401(api_client, user):
    header, payload, signature = str(AccessToken.for_user(user)).split(".")
    # A middle character: the last one may only carry base64 padding bits.
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    tampered = signature[:middle] + flipped + signature[middle + 1 :]
    _assert_rejected(_get_me(api_client, f"{header}.{payload}.{tampered}"))


def test_expired_access_token_is_401(api_client, user):
    now = int(time.time())
    claims = {**_claims(user), "iat": now - 3600, "exp": now - 60}
    _assert_rejected(_get_me(api_client, _sign(claims)))


def test_alg_none_token_is_401(api_client, user):
    unsigned = jwt.encode(_claims(user), None, algorithm="none")
    assert unsigned.endswith(".")
    _assert_rejected(_get_me(api_client, unsigned))


# The development key is shorter than PyJWT recommends for HS512; irrelevant here.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_token_with_other_hmac_algorithm_is_401(api_client, user):
    _assert_rejected(_get_me(api_client, _sign(_claims(user), algorithm="HS512")))


def test_token_signed_with_another_key_is_401(api_client, user):
    forged = _sign(_claims(user), key="another-key-that-is-long-enough-for-hs256!")
    _assert_rejected(_get_me(api_client, forged))


def test_refresh_token_used_as_access_token_is_401(api_client, user):
    _assert_rejected(_get_me(api_client, str(RefreshToken.for_user(user))))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"iss": None}, id="missing-issuer"),
        pytest.param({"iss": "someone-else"}, id="wrong-issuer"),
        pytest.param({"aud": None}, id="missing-audience"),
        pytest.param({"aud": "another-api"}, id="wrong-audience"),
        pytest.param({"token_type": None}, id="missing-token-type"),
        pytest.param({"exp": None}, id="missing-expiry"),
        pytest.param({"jti": None}, id="missing-jti"),
        pytest.param({"user_id": None}, id="missing-user-id"),
    ],
)
def test_token_with_missing_or_wrong_claim_is_401(api_client, user, change):
    claims = _claims(user)
    for name, value in change.items():
        if value is None:
            del claims[name]
        else:
            claims[name] = value
    _assert_rejected(_get_me(api_client, _sign(claims)))


def test_token_of_deactivated_user_is_401(api_client, user):
    token = str(AccessToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    _assert_rejected(_get_me(api_client, token), code="user_inactive")


def test_token_of_deleted_user_is_401(api_client, user):
    token = str(AccessToken.for_user(user))
    user.delete()
    _assert_rejected(_get_me(api_client, token), code="user_not_found")


@pytest.mark.parametrize(
    ("user_id", "code"),
    [
        ("not-a-uuid", "token_not_valid"),
        (["a", "list"], "token_not_valid"),
        (12345678901234567890, "user_not_found"),
    ],
)
def test_token_with_malformed_user_id_is_401(api_client, user, user_id, code):
    forged = _sign({**_claims(user), "user_id": user_id})
    _assert_rejected(_get_me(api_client, forged), code=code)


def test_access_token_issued_before_a_password_change_is_401(api_client, user):
    token = str(AccessToken.for_user(user))
    user.set_password("a brand new lighthouse keeper")
    user.save()
    _assert_rejected(_get_me(api_client, token), code="password_changed")


def test_token_without_password_digest_is_401(api_client, user):
    claims = _claims(user)
    del claims["hash_password"]
    _assert_rejected(_get_me(api_client, _sign(claims)), code="password_changed")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer", "bad_authorization_header"),
        ("Bearer a b", "bad_authorization_header"),
        ("Bearer not-a-jwt", "token_not_valid"),
        ("Token abc", "not_authenticated"),
    ],
)
def test_malformed_authorization_header_is_401(api_client, header, code):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    _assert_rejected(api_client.get(ME), code=code)


def test_refresh_token_stops_working_after_a_password_set_outside_the_api(api_client, user):
    # The admin's password form and `manage.py changepassword` call set_password directly.
    pair = services.token_pair_issue(user=user)
    user.set_password("an entirely different passphrase")
    user.save()

    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": pair.refresh})

    assert_problem(response, 401, "token_not_valid")


@pytest.mark.parametrize(
    ("user_id", "code"),
    [("not-a-uuid", "token_not_valid"), (12, "user_not_found"), (None, "user_not_found")],
)
def test_validly_signed_token_with_a_malformed_user_id_is_401(api_client, user, user_id, code):
    _assert_rejected(_get_me(api_client, _sign({**_claims(user), "user_id": user_id})), code)


def test_authentication_costs_one_query_for_a_member(api_client, user, django_assert_num_queries):
    token = str(AccessToken.for_user(user))
    _get_me(api_client, token)
    auth_cache.users.clear()
    with django_assert_num_queries(1):
        response = _get_me(api_client, token)
    assert response.status_code == 200


def test_a_member_seen_before_costs_no_query_at_all(api_client, user, django_assert_num_queries):
    token = str(AccessToken.for_user(user))
    _get_me(api_client, token)
    with django_assert_num_queries(0):
        response = _get_me(api_client, token)
    assert response.json()["id"] == str(user.pk)


# --- Each token is verified once per process (accounts.authentication.verified_tokens) ---


@pytest.fixture
def verifications(monkeypatch):
    """The tokens simplejwt verifies (decodes and checks), in order."""
    from rest_framework_simplejwt.backends import TokenBackend

    seen = []
    real_decode = TokenBackend.decode

    def decode(self, token, verify=True):
        seen.append(token)
        return real_decode(self, token, verify)

    monkeypatch.setattr(TokenBackend, "decode", decode)
    return seen


def test_a_token_is_verified_once_and_its_user_checked_on_every_request(
    api_client, user, verifications
):
    token = str(AccessToken.for_user(user))
    assert _get_me(api_client, token).status_code == 200
    assert _get_me(api_client, token).status_code == 200
    assert len(verifications) == 1
    User.objects.filter(pk=user.pk).update(is_active=False)
    _assert_rejected(_get_me(api_client, token), code="user_inactive")


def test_a_tampered_copy_of_a_verified_token_is_verified_and_refused(api_client, user):
    token = str(AccessToken.for_user(user))
    assert _get_me(api_client, token).status_code == 200
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    tampered = signature[:middle] + flipped + signature[middle + 1 :]
    _assert_rejected(_get_me(api_client, f"{header}.{payload}.{tampered}"))


def test_a_verified_token_is_refused_once_it_expires(api_client, user):
    # Within simplejwt's leeway for another second: accepted now, and kept.
    leeway = settings.SIMPLE_JWT["LEEWAY"]
    now = int(time.time())
    claims = {**_claims(user), "iat": now - 60, "exp": now - leeway + 1}
    token = _sign(claims)
    assert _get_me(api_client, token).status_code == 200
    time.sleep(1.2)
    _assert_rejected(_get_me(api_client, token))
