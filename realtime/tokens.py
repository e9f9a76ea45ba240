"""Whose access token a socket sent: the same checks as the REST API's bearer authentication.

The token is verified by simplejwt (signature, expiry, issuer, audience, token type) and
its user loaded by ``accounts.authentication.JWTAuthentication.get_user``: a deleted or
deactivated user, or one whose password changed since the token was issued, is refused.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings

from accounts.authentication import JWTAuthentication
from realtime.protocol import CloseCode


class TokenRefused(Exception):
    """The token does not authenticate; ``close_code`` says why, as the socket's close."""

    def __init__(self, close_code: CloseCode) -> None:
        super().__init__(close_code.reason)
        self.close_code = close_code


@dataclass(frozen=True)
class VerifiedToken:
    user_id: uuid.UUID
    expires_at: datetime


def access_token_verify(raw: str) -> VerifiedToken:
    """The user and expiry of an access token; raises ``TokenRefused``. Reads the database."""
    if not raw.strip():
        raise TokenRefused(CloseCode.AUTHENTICATION_REQUIRED)
    token = _validated(raw.strip())
    try:
        user = JWTAuthentication().get_user(token)
    except AuthenticationFailed as error:
        raise TokenRefused(CloseCode.TOKEN_INVALID) from error
    return VerifiedToken(user_id=user.pk, expires_at=datetime.fromtimestamp(token["exp"], UTC))


def _validated(raw: str):
    # As JWTAuthentication.get_validated_token, keeping "expired" apart from "invalid".
    expired = False
    for token_class in api_settings.AUTH_TOKEN_CLASSES:
        try:
            return token_class(raw)
        except ExpiredTokenError:
            expired = True
        except TokenError:
            continue
    raise TokenRefused(CloseCode.TOKEN_EXPIRED if expired else CloseCode.TOKEN_INVALID)
