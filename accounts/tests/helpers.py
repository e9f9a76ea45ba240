"""Assertions and parsers shared by the accounts tests."""

import re
from urllib.parse import parse_qs, urlsplit

import jwt
from django.conf import settings
from rest_framework.test import APIClient

from config.tests.problems import PROBLEM, PROBLEM_KEYS, assert_problem, error_pairs  # noqa: F401

PASSWORD = "correct horse battery staple"  # the root conftest's `user` and `other_user`
NEW_PASSWORD = "a brand new lighthouse keeper"

REGISTER = "/api/v1/auth/register/"
LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
LOGOUT_EVERYWHERE = "/api/v1/auth/logout/everywhere/"
ME = "/api/v1/auth/me/"
PASSWORD_CHANGE = "/api/v1/auth/password/change/"
PASSWORD_RESET = "/api/v1/auth/password/reset/"
PASSWORD_RESET_CONFIRM = "/api/v1/auth/password/reset/confirm/"
EMAIL_VERIFY = "/api/v1/auth/email/verify/"
EMAIL_VERIFY_RESEND = "/api/v1/auth/email/verify/resend/"
EMAIL_CHANGE = "/api/v1/auth/email/change/"
EMAIL_CHANGE_CONFIRM = "/api/v1/auth/email/change/confirm/"
SESSIONS = "/api/v1/auth/sessions/"
USERS = "/api/v1/users/"
LOGIN_MFA = "/api/v1/auth/login/mfa/"
MFA = "/api/v1/auth/mfa/"
MFA_TOTP = "/api/v1/auth/mfa/totp/"
MFA_TOTP_CONFIRM = "/api/v1/auth/mfa/totp/confirm/"
MFA_RECOVERY_CODES = "/api/v1/auth/mfa/recovery-codes/"

# The one answer to requests that must not reveal whether an account exists.
ACCEPTED = {"detail": "If an account matches, an email is on its way."}


def email_link(message) -> str:
    """The one frontend link in the text part of an email."""
    links = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1, message.body
    assert links[0].startswith(f"{settings.FRONTEND_URL}/")
    return links[0]


def email_link_params(message) -> dict[str, str]:
    """``{"uid": ..., "token": ...}`` from the link an email carries."""
    query = parse_qs(urlsplit(email_link(message)).query, strict_parsing=True)
    assert set(query) == {"uid", "token"}
    return {name: values[0] for name, values in query.items()}


def login(email: str, password: str = PASSWORD, **request_meta) -> dict[str, str]:
    """A token pair from the login endpoint, as a client sending ``request_meta`` gets it."""
    response = APIClient().post(LOGIN, {"email": email, "password": password}, **request_meta)
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access: str) -> APIClient:
    """An API client sending this access token."""
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def claims(token: str) -> dict:
    """A JWT's claims, read without checking it (the server checks; tests only look)."""
    return jwt.decode(token, options={"verify_signature": False})
