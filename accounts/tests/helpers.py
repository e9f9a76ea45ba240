"""Assertions and parsers shared by the accounts tests."""

import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

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
