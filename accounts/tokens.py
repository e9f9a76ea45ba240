"""One-time tokens sent by email (password reset, email verification, email change) and JWTs.

Reading and checking tokens lives here; issuing, rotating and revoking them is in
``services.py`` because those write to the database.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.http import base36_to_int
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts.exceptions import (
    EmailChangeTokenExpired,
    EmailChangeTokenInvalid,
    InvalidToken,
    ResetTokenExpired,
    ResetTokenInvalid,
    VerificationTokenExpired,
    VerificationTokenInvalid,
)
from accounts.models import User
from config.api.exceptions import ApplicationError


@dataclass(frozen=True)
class EmailToken:
    """What a link in an email carries: the user's public id and a one-time token."""

    uid: str
    token: str


# Django's generator hashes the password and last login into the token, so a reset
# token stops working as soon as it has been used.
_password_reset_tokens = PasswordResetTokenGenerator()
_VERIFICATION_SALT = "accounts.email-verification"
_EMAIL_CHANGE_SALT = "accounts.email-change"


def password_reset_token_make(*, user: User) -> EmailToken:
    return EmailToken(uid=str(user.pk), token=_password_reset_tokens.make_token(user))


def password_reset_token_check(*, uid: str, token: str) -> User:
    """The user the reset token belongs to; raises when it is invalid, used or expired."""
    user = active_user_by_uid(uid)
    if user is None:
        raise ResetTokenInvalid()
    if _password_reset_tokens.check_token(user, token):
        return user
    if _reset_token_age_seconds(token) > settings.PASSWORD_RESET_TIMEOUT:
        raise ResetTokenExpired()
    raise ResetTokenInvalid()


def _reset_token_age_seconds(token: str) -> int:
    timestamp, _, _ = token.partition("-")
    try:
        issued = base36_to_int(timestamp)
    except ValueError:
        return 0
    # Django's generator counts naive local seconds since 2001-01-01; so must we.
    return int((datetime.now() - datetime(2001, 1, 1)).total_seconds()) - issued  # noqa: DTZ005


def signed_payload(
    token: str,
    *,
    salt: str,
    max_age: int,
    expired: type[ApplicationError],
    invalid: type[ApplicationError],
) -> dict:
    """What ``signing.dumps`` signed under ``salt``; ``expired`` or ``invalid`` if not that."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise expired() from error
    except signing.BadSignature as error:
        raise invalid() from error
    if not isinstance(payload, dict):
        raise invalid()
    return payload


def email_verification_token_make(*, user: User) -> EmailToken:
    token = signing.dumps({"uid": str(user.pk), "email": user.email}, salt=_VERIFICATION_SALT)
    return EmailToken(uid=str(user.pk), token=token)


def email_verification_token_check(*, uid: str, token: str) -> User:
    """The user whose current email the token verifies; raises when invalid or expired."""
    payload = signed_payload(
        token,
        salt=_VERIFICATION_SALT,
        max_age=settings.EMAIL_VERIFICATION_TIMEOUT,
        expired=VerificationTokenExpired,
        invalid=VerificationTokenInvalid,
    )
    user = active_user_by_uid(uid)
    if user is None or payload != {"uid": str(user.pk), "email": user.email}:
        raise VerificationTokenInvalid()
    return user


@dataclass(frozen=True)
class EmailChange:
    """What an email change link confirms: whose address, the new one, the session asking."""

    user: User
    new_email: str
    session_id: uuid.UUID | None


def email_change_token_make(
    *, user: User, new_email: str, session_id: uuid.UUID | None
) -> EmailToken:
    payload = {
        "uid": str(user.pk),
        "was": _email_state_digest(user),
        "new": new_email,
        "sid": None if session_id is None else str(session_id),
    }
    return EmailToken(uid=str(user.pk), token=signing.dumps(payload, salt=_EMAIL_CHANGE_SALT))


def email_change_token_check(*, uid: str, token: str) -> EmailChange:
    """The change the link confirms; raises when it is invalid, used or expired.

    Used means the account's address (or its verification) changed since the link was
    made: the first use changes both, so a link works once.
    """
    payload = signed_payload(
        token,
        salt=_EMAIL_CHANGE_SALT,
        max_age=settings.EMAIL_CHANGE_TIMEOUT,
        expired=EmailChangeTokenExpired,
        invalid=EmailChangeTokenInvalid,
    )
    user = active_user_by_uid(uid)
    if (
        user is None
        or payload["uid"] != str(user.pk)
        or payload["was"] != _email_state_digest(user)
    ):
        raise EmailChangeTokenInvalid()
    session_id = None if payload["sid"] is None else uuid.UUID(payload["sid"])
    return EmailChange(user=user, new_email=payload["new"], session_id=session_id)


def _email_state_digest(user: User) -> str:
    # A keyed digest, not the address itself: the link is signed, not encrypted, and goes
    # to the new address, a stranger's inbox when mistyped.
    verified_at = user.email_verified_at.isoformat() if user.email_verified_at else ""
    state = f"{user.email}|{verified_at}"
    return salted_hmac(_EMAIL_CHANGE_SALT, state).hexdigest()


def active_user_by_uid(uid: str) -> User | None:
    try:
        user_id = uuid.UUID(str(uid))
    except ValueError:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def refresh_token_decode(raw_token: str) -> RefreshToken:
    """A verified refresh token (signature, expiry, type, issuer, audience, blacklist)."""
    try:
        # simplejwt annotates the encoded token as a Token; it takes the string, as in
        # its own TokenRefreshSerializer.
        return RefreshToken(raw_token)  # type: ignore[arg-type]
    except TokenError as error:
        raise InvalidToken() from error


# The claim naming the session (accounts.models.AuthSession) a JWT belongs to; OpenID
# Connect's name for it. RefreshToken.access_token copies it to the access token.
SESSION_ID_CLAIM = "sid"


def token_session_id(token: Token) -> uuid.UUID | None:
    """The session a verified JWT belongs to; None for one issued before sessions existed."""
    session_id = token.get(SESSION_ID_CLAIM)
    if session_id is None:
        return None
    try:
        return uuid.UUID(str(session_id))
    except ValueError as error:
        raise InvalidToken() from error


def stored_token_session_id(raw_token: str) -> uuid.UUID | None:
    """The session of a refresh token as the outstanding-token table stores it, if any.

    The stored text was written by this server, so its claims are read without verifying
    its signature again.
    """
    try:
        # simplejwt annotates the encoded token as a Token; it takes the string.
        payload = token_backend.decode(raw_token, verify=False)  # type: ignore[arg-type]
        session_id = payload.get(SESSION_ID_CLAIM)
        return None if session_id is None else uuid.UUID(str(session_id))
    except (TokenBackendError, ValueError):
        return None
