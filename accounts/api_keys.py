"""API keys: machine clients authenticating as a user, limited to scopes.

A scope is ``<resource>:read`` or ``<resource>:write`` (write implies read), one pair per
owned resource: the resource kit registers each viewset's ``api_scope`` here
(``register_api_scope``), generated resources included, so this app names none of them.
A key reaches only those resources; every other endpoint (the account's own, including
these keys) refuses it, so a leaked key cannot mint more keys or change the password.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.exceptions import ApiKeyExpired, ApiKeyInvalid, ApiKeyRevoked, ApiKeyUserInactive
from accounts.models import ApiKey, User, holds_roles

KEY_PREFIX = "keel_"
# Writing last_used_at at most this often per key: coarse, and no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_resources: set[str] = set()


def register_api_scope(resource: str) -> None:
    _resources.add(resource)


def api_scopes() -> list[str]:
    """Every scope a key may hold, once the URLconf (and so every resource) is loaded."""
    import_module(settings.ROOT_URLCONF)
    return sorted(
        f"{resource}:{access}" for resource in _resources for access in ("read", "write")
    )


@transaction.atomic
def api_key_create(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key for ``user``, and the key itself: shown once, never stored."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_digest=_digest(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    return api_key, f"{KEY_PREFIX}{prefix}.{secret}"


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Refuse the key from now on; the row stays, so its use can still be traced."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_authenticate(*, key: str) -> ApiKey:
    """The key's row (with its user), in one indexed query, or the precise reason it fails."""
    prefix, secret = _parse(key)
    # The prefix is unique: no ORDER BY (the model's, or first()'s by id) for one row.
    keys = _with_user_roles(ApiKey.objects.filter(prefix=prefix)).order_by()
    api_key = next(iter(keys[:1]), None)
    if api_key is None or not hmac.compare_digest(api_key.secret_digest, _digest(secret)):
        raise ApiKeyInvalid()
    now = timezone.now()
    if api_key.revoked_at is not None:
        raise ApiKeyRevoked()
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise ApiKeyExpired()
    if not api_key.user.is_active:
        raise ApiKeyUserInactive()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def _parse(key: str) -> tuple[str, str]:
    prefix, dot, secret = key.removeprefix(KEY_PREFIX).partition(".")
    if not key.startswith(KEY_PREFIX) or not dot or not prefix or not secret:
        raise ApiKeyInvalid()
    return prefix, secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _with_user_roles(keys: models.QuerySet[ApiKey]) -> models.QuerySet[ApiKey]:
    """Keys with their user, and whether that user holds any group or permission."""
    return keys.select_related("user").annotate(
        user_has_roles=holds_roles(models.OuterRef("user_id"))
    )
