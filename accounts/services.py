"""Every write of the accounts app: registration, credentials, tokens, profile, roles."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from accounts import mfa, tasks
from accounts.exceptions import InvalidCredentials, MfaRequired
from accounts.models import User, normalize_email
from accounts.sessions import (
    UNKNOWN_CLIENT,
    SessionClient,
    auth_session_continue,
    auth_session_end,
    auth_session_start,
    auth_sessions_end,
)
from accounts.signals import user_removing
from accounts.tokens import (
    SESSION_ID_CLAIM,
    EmailToken,
    InvalidToken,
    email_verification_token_check,
    email_verification_token_make,
    password_reset_token_check,
    password_reset_token_make,
    refresh_token_decode,
    stored_token_session_id,
    token_session_id,
)


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


# --- Registration and email verification ------------------------------------------------


@transaction.atomic
def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Create an account and email its verification link.

    An address that already has an account gets the same answer, after the same password
    checks and hashing: a user of the same shape that is never saved (its id belongs to
    nobody), while the owner is emailed that someone tried to register with it. So the
    response never tells whether an address has an account.
    """
    email = normalize_email(email)
    user = User(email=email, first_name=first_name, last_name=last_name)
    _validate_new_password(password, user=user, field="password")
    user.set_password(password)
    owner = User.objects.with_email(email).first()
    if owner is not None:
        return _registration_attempted(owner=owner, stand_in=user)
    user.full_clean()
    try:
        # A savepoint, so a lost race leaves the surrounding transaction usable.
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Two registrations of one email at the same moment: the second loses here.
        owner = User.objects.with_email(email).first()
        return user if owner is None else _registration_attempted(owner=owner, stand_in=user)
    _send_verification_email(user)
    return user


def _registration_attempted(*, owner: User, stand_in: User) -> User:
    _send_email_on_commit(
        "registration_attempt", user=owner, link=f"{settings.FRONTEND_URL}/reset-password"
    )
    return stand_in


def email_verification_resend(*, email: str) -> None:
    """Send a new verification link if an unverified account has this email; else nothing."""
    user = User.objects.with_email(email).filter(is_active=True).first()
    if user is not None and not user.email_verified:
        _send_verification_email(user)


@transaction.atomic
def email_verify(*, uid: str, token: str) -> User:
    user = email_verification_token_check(uid=uid, token=token)
    if not user.email_verified:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def _send_verification_email(user: User) -> None:
    link = _frontend_link("verify-email", email_verification_token_make(user=user))
    _send_email_on_commit("verify_email", user=user, link=link)


# --- Login and JWT lifecycle ------------------------------------------------------------


def user_login(*, email: str, password: str, client: SessionClient = UNKNOWN_CLIENT) -> TokenPair:
    """The token pair for a right password; with two-factor on, a challenge instead."""
    # Django's backend hashes a dummy password for unknown emails (equal timing) and
    # upgrades old hashes (bcrypt, PBKDF2, weaker Argon2) on success.
    user = authenticate(None, email=normalize_email(email), password=password)
    if user is None:
        raise InvalidCredentials()
    if mfa.mfa_enabled(user):
        raise MfaRequired(challenge=mfa.challenge_issue(user=user))
    return token_pair_issue(user=user, client=client)


@transaction.atomic
def user_login_mfa(
    *, challenge: str, code: str, client: SessionClient = UNKNOWN_CLIENT
) -> TokenPair:
    """The second step of a two-factor login: the challenge and a code (or recovery code)."""
    user = mfa.challenge_check(challenge)
    mfa.second_factor_verify(user=user, code=code)
    return token_pair_issue(user=user, client=client)


def token_pair_issue(
    *, user: User, client: SessionClient = UNKNOWN_CLIENT, started_at: datetime | None = None
) -> TokenPair:
    """A token pair for a new session of ``user``, used from ``client``.

    No transaction of its own, which would cost a login two more round trips: the
    token's row is written before the session's, so a failure between them leaves only
    a token nobody received, which is refused anyway for want of its session.
    """
    session_id = uuid.uuid4()
    refresh = _refresh_token_for(user=user, session_id=session_id)
    _outstanding_record(refresh, user=user)
    auth_session_start(
        user=user,
        session_id=session_id,
        expires_at=_expiry_of(refresh),
        client=client,
        started_at=started_at,
    )
    return _pair_of(refresh)


def _token_pair_continue(
    *, user: User, session_id: uuid.UUID, client: SessionClient
) -> TokenPair | None:
    """A token pair for the user's session ``session_id``; None if it has ended."""
    refresh = _refresh_token_for(user=user, session_id=session_id)
    expires_at = _expiry_of(refresh)
    if not auth_session_continue(
        user=user, session_id=session_id, expires_at=expires_at, client=client
    ):
        return None
    _outstanding_record(refresh, user=user)
    return _pair_of(refresh)


def _refresh_token_for(*, user: User, session_id: uuid.UUID) -> RefreshToken:
    # The claims of RefreshToken.for_user, which records the token before we could add
    # the session to it: the stored token is the one handed out.
    refresh = RefreshToken()
    refresh[jwt_settings.USER_ID_CLAIM] = str(user.pk)
    refresh[jwt_settings.REVOKE_TOKEN_CLAIM] = get_md5_hash_password(user.password)
    refresh[SESSION_ID_CLAIM] = str(session_id)
    return refresh


def _outstanding_record(refresh: RefreshToken, *, user: User) -> None:
    OutstandingToken.objects.create(
        user=user,
        jti=refresh[jwt_settings.JTI_CLAIM],
        token=str(refresh),
        created_at=refresh.current_time,
        expires_at=_expiry_of(refresh),
    )


def _expiry_of(refresh: RefreshToken) -> datetime:
    return datetime_from_epoch(refresh["exp"])


def _pair_of(refresh: RefreshToken) -> TokenPair:
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


@transaction.atomic
def refresh_token_rotate(*, raw_token: str, client: SessionClient = UNKNOWN_CLIENT) -> TokenPair:
    """Exchange a refresh token for a new pair of its session; the old one is dead for good."""
    refresh = refresh_token_decode(raw_token)
    outstanding = _lock_outstanding(refresh)
    user = outstanding.user
    if user is None or not user.is_active or not _issued_for_current_password(refresh, user):
        raise InvalidToken()
    BlacklistedToken.objects.create(token=outstanding)
    session_id = token_session_id(refresh)
    if session_id is None:
        # Issued before sessions existed: its family becomes a session now.
        return token_pair_issue(user=user, client=client, started_at=outstanding.created_at)
    pair = _token_pair_continue(user=user, session_id=session_id, client=client)
    if pair is None:
        raise InvalidToken()
    return pair


def _issued_for_current_password(refresh: RefreshToken, user: User) -> bool:
    # Tokens carry a digest of the password hash they were issued under. Comparing it
    # ends sessions after any password change, including ones made outside our
    # services (the admin's password form, `manage.py changepassword`).
    issued_for = refresh.get(jwt_settings.REVOKE_TOKEN_CLAIM)
    return issued_for == get_md5_hash_password(user.password)


@transaction.atomic
def refresh_token_revoke(*, raw_token: str) -> None:
    """Log out: blacklist the refresh token and end its session."""
    refresh = refresh_token_decode(raw_token)
    BlacklistedToken.objects.create(token=_lock_outstanding(refresh))
    session_id = token_session_id(refresh)
    if session_id is not None:
        auth_session_end(session_id=session_id)


def _lock_outstanding(refresh: RefreshToken) -> OutstandingToken:
    # The row lock makes two concurrent uses of one refresh token queue up, so the
    # second sees the first one's blacklisting: a refresh token works exactly once.
    # Only the token row is locked: PostgreSQL refuses FOR UPDATE on the nullable side
    # of the outer join to the user.
    outstanding = (
        OutstandingToken.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(jti=refresh[jwt_settings.JTI_CLAIM])
        .first()
    )
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise InvalidToken()
    return outstanding


def user_tokens_revoke_all(*, user: User) -> int:
    """End every session of the user and blacklist every refresh token still usable.

    Returns how many tokens were blacklisted.
    """
    auth_sessions_end(user=user)
    return _tokens_blacklist(_usable_tokens(user))


def user_sessions_end_others(*, user: User, keep: uuid.UUID | None) -> None:
    """End every session of the user but ``keep``, refusing their refresh tokens.

    Tokens of an ended session are refused already; the ones from before sessions name
    none, so each usable token is read for its session (a handful per user).
    """
    auth_sessions_end(user=user, keep=keep)
    others = [
        token
        for token in _usable_tokens(user)
        if keep is None or stored_token_session_id(token.token) != keep
    ]
    _tokens_blacklist(others)


def _usable_tokens(user: User) -> QuerySet[OutstandingToken]:
    return OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )


def _tokens_blacklist(tokens: Iterable[OutstandingToken]) -> int:
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(revoked)


# --- Passwords ------------------------------------------------------------------------


@transaction.atomic
def password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    session_id: uuid.UUID | None = None,
    client: SessionClient = UNKNOWN_CLIENT,
) -> TokenPair:
    """Change the password, end every other session, and return a fresh pair for this one.

    Every refresh token issued before is refused, the caller's too (they carry the old
    password's digest); the caller's session ``session_id`` goes on with the new pair,
    or one starts when the caller's token names none (issued before sessions existed).
    """
    if not user.check_password(current_password):
        raise ValidationError(
            {
                "current_password": ValidationError(
                    "The current password is not correct.", code="wrong_password"
                )
            }
        )
    _password_set(user=user, password=new_password, keep_session=session_id)
    if session_id is not None:
        pair = _token_pair_continue(user=user, session_id=session_id, client=client)
        if pair is not None:
            return pair
    return token_pair_issue(user=user, client=client)


def password_reset_request(*, email: str) -> None:
    """Email a reset link if an active account has this email; silently nothing otherwise."""
    user = User.objects.with_email(email).filter(is_active=True).first()
    if user is not None:
        link = _frontend_link("reset-password", password_reset_token_make(user=user))
        _send_email_on_commit("password_reset", user=user, link=link)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> None:
    user = password_reset_token_check(uid=uid, token=token)
    _password_set(user=user, password=new_password)


def _password_set(*, user: User, password: str, keep_session: uuid.UUID | None = None) -> None:
    _validate_new_password(password, user=user, field="new_password")
    user.set_password(password)
    user.save(update_fields=["password"])
    # Every refresh token carries the old password's digest: none survives, even in the
    # session kept (it continues with a new pair).
    _tokens_blacklist(_usable_tokens(user))
    auth_sessions_end(user=user, keep=keep_session)
    _send_email_on_commit("password_changed", user=user, link=f"{settings.FRONTEND_URL}/")


def _validate_new_password(password: str, *, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({field: error.error_list}) from error


# --- Profile, deletion, activation ------------------------------------------------------

PROFILE_FIELDS = frozenset({"first_name", "last_name"})


@transaction.atomic
def user_update_profile(*, user: User, data: dict) -> User:
    changes = {field: value for field, value in data.items() if field in PROFILE_FIELDS}
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean()
    user.save(update_fields=list(changes))
    return user


@transaction.atomic
def user_delete(*, user: User, password: str) -> None:
    """Delete the account and everything it owns, after checking its password."""
    if not user.check_password(password):
        raise ValidationError(
            {"password": ValidationError("The password is not correct.", code="wrong_password")}
        )
    user_remove(user=user)


@transaction.atomic
def user_remove(*, user: User) -> None:
    """Delete a user and everything they own.

    Owned rows cascade with the user; apps that keep something outside the database
    (storage's objects) clean it up through ``user_removing``.
    """
    user_tokens_revoke_all(user=user)
    user_removing.send(sender=User, user=user)
    user.delete()


@transaction.atomic
def user_set_active(*, user: User, is_active: bool) -> User:
    """Activate or deactivate; a deactivated user's refresh tokens are revoked at once."""
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    if not is_active:
        user_tokens_revoke_all(user=user)
    return user


# --- Email ----------------------------------------------------------------------------


def _frontend_link(page: str, email_token: EmailToken) -> str:
    return f"{settings.FRONTEND_URL}/{page}?uid={email_token.uid}&token={email_token.token}"


def send_account_email(template: str, *, user: User, link: str) -> None:
    """Email ``user`` the ``templates/emails/<template>`` message once the transaction commits."""
    _send_email_on_commit(template, user=user, link=link)


def _send_email_on_commit(
    template: str, *, user: User, link: str, to: str | None = None, **variables: str
) -> None:
    """Send ``template`` to ``to`` (the user's address unless given) once committed."""
    recipient = to or user.email
    variables = {"first_name": user.first_name, "email": recipient, "link": link, **variables}
    transaction.on_commit(
        lambda: tasks.send_templated_email.enqueue(
            template=template, to=recipient, variables=variables
        )
    )


@transaction.atomic
def superuser_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Create the superuser if missing; an existing account keeps its password."""
    user = User.objects.with_email(email).first()
    if user is not None:
        user.is_staff = user.is_superuser = user.is_active = True
        user.save(update_fields=["is_staff", "is_superuser", "is_active"])
        return user, False
    validate_email(email)
    _validate_new_password(password, user=User(email=email), field="password")
    return User.objects.create_superuser(email=email, password=password), True
