"""Every write of the accounts app: registration, credentials, tokens, profile, roles."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import mfa, tasks
from accounts.exceptions import InvalidCredentials, MfaRequired
from accounts.models import User, normalize_email
from accounts.signals import user_removing
from accounts.tokens import (
    EmailToken,
    InvalidToken,
    email_verification_token_check,
    email_verification_token_make,
    password_reset_token_check,
    password_reset_token_make,
    refresh_token_decode,
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


def user_login(*, email: str, password: str) -> TokenPair:
    """The token pair for a right password; with two-factor on, a challenge instead."""
    # Django's backend hashes a dummy password for unknown emails (equal timing) and
    # upgrades old hashes (bcrypt, PBKDF2, weaker Argon2) on success.
    user = authenticate(None, email=normalize_email(email), password=password)
    if user is None:
        raise InvalidCredentials()
    if mfa.mfa_enabled(user):
        raise MfaRequired(challenge=mfa.challenge_issue(user=user))
    return token_pair_issue(user=user)


@transaction.atomic
def user_login_mfa(*, challenge: str, code: str) -> TokenPair:
    """The second step of a two-factor login: the challenge and a code (or recovery code)."""
    user = mfa.challenge_check(challenge)
    mfa.second_factor_verify(user=user, code=code)
    return token_pair_issue(user=user)


def token_pair_issue(*, user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


@transaction.atomic
def refresh_token_rotate(*, raw_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one can never be used again."""
    refresh = refresh_token_decode(raw_token)
    outstanding = _lock_outstanding(refresh)
    user = outstanding.user
    if user is None or not user.is_active or not _issued_for_current_password(refresh, user):
        raise InvalidToken()
    BlacklistedToken.objects.create(token=outstanding)
    return token_pair_issue(user=user)


def _issued_for_current_password(refresh: RefreshToken, user: User) -> bool:
    # Tokens carry a digest of the password hash they were issued under. Comparing it
    # ends sessions after any password change, including ones made outside our
    # services (the admin's password form, `manage.py changepassword`).
    issued_for = refresh.get(jwt_settings.REVOKE_TOKEN_CLAIM)
    return issued_for == get_md5_hash_password(user.password)


@transaction.atomic
def refresh_token_revoke(*, raw_token: str) -> None:
    refresh = refresh_token_decode(raw_token)
    BlacklistedToken.objects.create(token=_lock_outstanding(refresh))


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
    """Blacklist every refresh token of the user that is still usable; returns how many."""
    usable = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in usable], ignore_conflicts=True
    )
    return len(revoked)


# --- Passwords ------------------------------------------------------------------------


@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str) -> TokenPair:
    """Change the password, revoke every session, and return a fresh pair for this one."""
    if not user.check_password(current_password):
        raise ValidationError(
            {
                "current_password": ValidationError(
                    "The current password is not correct.", code="wrong_password"
                )
            }
        )
    _password_set(user=user, password=new_password)
    return token_pair_issue(user=user)


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


def _password_set(*, user: User, password: str) -> None:
    _validate_new_password(password, user=user, field="new_password")
    user.set_password(password)
    user.save(update_fields=["password"])
    user_tokens_revoke_all(user=user)
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


def _send_email_on_commit(template: str, *, user: User, link: str) -> None:
    variables = {"first_name": user.first_name, "email": user.email, "link": link}
    transaction.on_commit(
        lambda: tasks.send_templated_email.enqueue(
            template=template, to=user.email, variables=variables
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
