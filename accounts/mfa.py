"""Two-factor authentication: TOTP devices, recovery codes and the login challenge.

Enrolment is two steps: ``totp_enrol`` makes a pending device and shows its secret once,
``totp_confirm`` turns it on with a code from the app and answers ten recovery codes,
also shown once. From then on a correct password is not enough: ``user_login`` raises
``MfaRequired`` with a challenge (signed, short-lived, bound to the password it was
earned with) that ``login_complete`` exchanges, with a code, for the token pair.

Each TOTP code works once: a device remembers the last step it accepted and refuses that
step and every earlier one (the check locks the row, so two requests racing with one code
cannot both pass). Recovery codes are kept as keyed digests (``salted_hmac``: a copy of
the database alone cannot test guesses) and spent with one conditional UPDATE.
"""

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import totp
from accounts.exceptions import (
    MfaAlreadyEnabled,
    MfaChallengeExpired,
    MfaChallengeInvalid,
    MfaCodeExpired,
    MfaCodeInvalid,
    MfaCodeReused,
    MfaNotEnabled,
    MfaNotEnrolling,
    RecoveryCodeUsed,
)
from accounts.models import RecoveryCode, TotpDevice, User
from accounts.tokens import active_user_by_uid, signed_payload
from config.api.exceptions import ApplicationError

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_HALF = 5
# A code is accepted one step either side of now (clock drift, and the seconds it takes
# to type); one from up to ten minutes ago is reported as expired rather than wrong.
_VALID_STEPS = 1
_EXPIRED_STEPS = 20
_CHALLENGE_SALT = "accounts.mfa-challenge"
_RECOVERY_SALT = "accounts.recovery-code"


@dataclass(frozen=True)
class MfaStatus:
    enabled: bool
    confirmed_at: datetime | None
    recovery_codes_remaining: int


def mfa_enabled(user: User) -> bool:
    known = getattr(user, "mfa_on", None)  # annotated by the login's query
    if known is not None:
        return known
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def mfa_status(user: User) -> MfaStatus:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    return MfaStatus(
        enabled=device is not None,
        confirmed_at=device.confirmed_at if device else None,
        recovery_codes_remaining=RecoveryCode.objects.filter(
            user=user, used_at__isnull=True
        ).count(),
    )


# --- Enrolment -------------------------------------------------------------------------


@transaction.atomic
def totp_enrol(*, user: User) -> TotpDevice:
    """A new pending device (replacing a pending one); refused while one is confirmed."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise MfaAlreadyEnabled()
    if device is None:
        device = TotpDevice(user=user)
    device.secret = totp.secret_generate()
    device.created_at = timezone.now()
    device.last_used_step = None
    device.save()
    return device


def totp_provisioning_uri(device: TotpDevice) -> str:
    return totp.provisioning_uri(
        secret=device.secret, account=device.user.email, issuer=settings.MFA_ISSUER
    )


@transaction.atomic
def totp_confirm(*, user: User, code: str) -> list[str]:
    """Turn two-factor on with a first code from the app; answers the recovery codes."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        raise MfaNotEnrolling()
    if device.confirmed_at is not None:
        raise MfaAlreadyEnabled()
    with _as_field_error("code"):
        _totp_accept(device, code)
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at", "last_used_step"])
    _send_notice("mfa_enabled", user=user)
    return _recovery_codes_replace(user)


@transaction.atomic
def mfa_disable(*, user: User, password: str, code: str) -> None:
    """Turn two-factor off: the password and a current code (or a recovery code)."""
    _check_password(user, password)
    if not mfa_enabled(user):
        raise MfaNotEnabled()
    with _as_field_error("code"):
        second_factor_verify(user=user, code=code)
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    _send_notice("mfa_disabled", user=user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User, password: str, code: str) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    _check_password(user, password)
    if not mfa_enabled(user):
        raise MfaNotEnabled()
    with _as_field_error("code"):
        second_factor_verify(user=user, code=code)
    return _recovery_codes_replace(user)


@transaction.atomic
def mfa_reset(*, user: User) -> None:
    """Staff's remedy for a lost authenticator and recovery codes: two-factor off."""
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()


# --- Login -----------------------------------------------------------------------------


def challenge_issue(*, user: User) -> str:
    """A signed token saying: this user gave the right password, just now."""
    return signing.dumps(
        {"uid": str(user.pk), "pwd": get_md5_hash_password(user.password)},
        salt=_CHALLENGE_SALT,
        compress=True,
    )


def challenge_user_id(challenge: str) -> str | None:
    """The user a challenge names, if it is genuine (expired or not): for throttling."""
    try:
        return signing.loads(challenge, salt=_CHALLENGE_SALT)["uid"]
    except (signing.BadSignature, KeyError, TypeError):
        return None


def challenge_check(challenge: str) -> User:
    """The user who earned ``challenge``; refused once expired or the password changed."""
    payload = signed_payload(
        challenge,
        salt=_CHALLENGE_SALT,
        max_age=settings.MFA_CHALLENGE_SECONDS,
        expired=MfaChallengeExpired,
        invalid=MfaChallengeInvalid,
    )
    user = active_user_by_uid(str(payload.get("uid")))
    if user is None or payload.get("pwd") != get_md5_hash_password(user.password):
        raise MfaChallengeInvalid()
    return user


@transaction.atomic
def second_factor_verify(*, user: User, code: str) -> None:
    """Accept a TOTP code or a recovery code for ``user``, spending it; raises if neither."""
    normalized = code.strip().replace(" ", "")
    if normalized.isascii() and normalized.isdigit() and len(normalized) == totp.DIGITS:
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed_at is None:
            raise MfaCodeInvalid()
        _totp_accept(device, normalized)
        device.save(update_fields=["last_used_step"])
    else:
        _recovery_code_spend(user, normalized)


# --- Codes -----------------------------------------------------------------------------


def _totp_accept(device: TotpDevice, code: str) -> None:
    """Check ``code`` against the device and record its step (the caller saves)."""
    now = totp.step_at(time.time())
    step = totp.matching_step(
        device.secret, code, steps=range(now - _VALID_STEPS, now + _VALID_STEPS + 1)
    )
    if step is None:
        expired = totp.matching_step(
            device.secret, code, steps=range(now - _EXPIRED_STEPS, now - _VALID_STEPS)
        )
        raise MfaCodeInvalid() if expired is None else MfaCodeExpired()
    if device.last_used_step is not None and step <= device.last_used_step:
        raise MfaCodeReused()
    device.last_used_step = step


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_recovery_code_generate() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_recovery_digest(_normalize_recovery(code)))
        for code in codes
    )
    return codes


def _recovery_code_generate() -> str:
    halves = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_HALF)) for _ in "ab"
    )
    return "-".join(halves)


def _recovery_code_spend(user: User, code: str) -> None:
    digest = _recovery_digest(_normalize_recovery(code))
    codes = RecoveryCode.objects.filter(user=user, digest=digest)
    if codes.filter(used_at__isnull=True).update(used_at=timezone.now()) == 1:
        return
    raise RecoveryCodeUsed() if codes.exists() else MfaCodeInvalid()


def _normalize_recovery(code: str) -> str:
    return code.strip().lower().replace("-", "").replace(" ", "")


def _recovery_digest(normalized: str) -> str:
    return salted_hmac(_RECOVERY_SALT, normalized, algorithm="sha256").hexdigest()


# --- Helpers ---------------------------------------------------------------------------


def _check_password(user: User, password: str) -> None:
    if not user.check_password(password):
        raise ValidationError(
            {"password": ValidationError("The password is not correct.", code="wrong_password")}
        )


@contextmanager
def _as_field_error(field: str) -> Iterator[None]:
    """A wrong code as a validation error on ``field``: the caller is logged in, so a 401
    would read as "your token is bad" rather than "this code is wrong"."""
    try:
        yield
    except ApplicationError as error:
        if error.status_code != 401:
            raise
        raise ValidationError({field: ValidationError(error.detail, code=error.code)}) from error


def _send_notice(template: str, *, user: User) -> None:
    # The accounts services own the email plumbing; imported late, as they import us.
    from accounts.services import send_account_email

    send_account_email(template, user=user, link=f"{settings.FRONTEND_URL}/")
