"""Bearer authentication (simplejwt's, its user cached under auth versions, else in one
query compiled once per process; each token verified once per process) and API keys.

The two shortcuts here lean on Django internals, so they live in this one module and
``accounts/tests/test_authentication_internals.py`` fails loudly if an upgrade changes
what they rely on:

- the user query's SQL is compiled once (``Query.sql_with_params``) and run raw: on
  every authenticated request compiling it cost twice as much as running it (0.66 ms
  against 0.30 ms on PostgreSQL, measured). It also reads whether the token's session
  is still going, so an ended session's access tokens are refused at no extra query;
- a member holding no group or permission gets ``ModelBackend``'s per-request
  permission caches filled with empty sets, so ``has_perm`` in ``visible_to`` costs no
  query. A user is kept across requests only under their auth versions
  (``accounts.auth_cache``), so a role change still applies on the next request.
"""

import copy
import functools
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, cast

from django.core.exceptions import ValidationError
from django.db import models
from rest_framework.authentication import BaseAuthentication
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import api_keys, auth_cache
from accounts.models import AuthSession, User
from accounts.tokens import token_session_id
from config.api.throttling import UserRateThrottle
from config.db.precompiled import PrecompiledQuery, precompile
from config.ops.logging import bind_user
from config.ops.process_cache import ExpiringLru
from config.ops.replicas import read_own_writes

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations
    from rest_framework_simplejwt.tokens import Token

# ModelBackend's per-request caches of a user's permissions (django.contrib.auth.backends).
PERMISSION_CACHE_ATTRIBUTES = ("_perm_cache", "_user_perm_cache", "_group_perm_cache")


class _Annotations(TypedDict):
    has_roles: bool
    session_live: bool


# A user as ``UserQuerySet.for_authentication`` loads it.
AuthenticatedUser: TypeAlias = "WithAnnotations[User, _Annotations]"


def _copy_of(token: "Token") -> "Token":
    # Each request gets its own: a view may set claims on request.auth.
    copied = copy.copy(token)
    copied.payload = dict(token.payload)
    return copied


# Access tokens this process has verified, each kept until simplejwt would call it
# expired. A client sends the same access token for its whole life, and verifying it
# (PyJWT's two base64 and JSON decodes, the HMAC and the claim checks, then simplejwt's)
# was a twentieth of a cold list request's CPU (measured in-process). The key is the
# whole token, signature included: only the exact bytes verified before are ever taken
# from here. What the token's user may do is still checked on every request
# (``get_user``: active, password unchanged, session live). About 1 KB each.
verified_tokens: "ExpiringLru[Token]" = ExpiringLru(1_000, clock=time.time, copier=_copy_of)


def _valid_until(token: "Token") -> float:
    """When simplejwt starts refusing ``token``: once exp <= now - leeway."""
    leeway = api_settings.LEEWAY
    seconds = leeway.total_seconds() if isinstance(leeway, timedelta) else float(leeway)
    return float(token["exp"]) + seconds


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's bearer authentication, its user from ``accounts.auth_cache`` (or one
    query), the user's throttle counted in the same round trip; tags the request's logs."""

    # The request being authenticated; None when a caller checks a token itself (the
    # realtime socket's first message calls get_user directly).
    request = None

    def get_validated_token(self, raw_token: bytes) -> "Token":
        token = verified_tokens.get(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)
            verified_tokens.put(raw_token, token, until=_valid_until(token))
        return token

    def authenticate(self, request):
        self.request = request
        result = super().authenticate(request)
        if result is not None:
            bind_user(result[0].pk)
            read_own_writes(result[0].pk)
        return result

    # simplejwt types the return with a TypeVar its arguments do not bind, which no
    # override can satisfy; this returns the project's user model, as simplejwt's own does.
    def get_user(self, validated_token: "Token") -> User:  # type: ignore[override]
        session_id = token_session_id(validated_token)
        try:
            user_id = _user_id(validated_token[api_settings.USER_ID_CLAIM])
            counter = self._user_throttle_counter(user_id)
            user, count, read = auth_cache.cached_user(
                user_id,
                functools.partial(user_for_authentication, user_id, session_id=session_id),
                scope=(session_id,),
                counter=counter,
                also_read=self._view_preflight_keys(user_id),
            )
        except (KeyError, ValueError, ValidationError) as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        except User.DoesNotExist as error:
            raise AuthenticationFailed("User not found", code="user_not_found") from error
        if self.request is not None and counter is not None and count is not None:
            self.request._request.precounted_throttles = {counter[0]: count}
        if self.request is not None and read is not None:
            self.request._request.preflight = read
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        revoke_claim = validated_token.get(api_settings.REVOKE_TOKEN_CLAIM)
        if revoke_claim != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        if not user.session_live:
            # Checked in the same query as the user: ending a session (logout, the
            # sessions API) refuses its access tokens at once, not when they expire.
            raise AuthenticationFailed("This session has ended.", code="session_ended")
        if not user.has_roles:
            forget_permissions(user)
        return user

    def _view_preflight_keys(self, user_id: Any) -> list[str]:
        """What the view will read from the cache for this user (``preflight_keys``)."""
        view = self.request.parser_context.get("view") if self.request is not None else None
        preflight_keys = getattr(view, "preflight_keys", None)
        return preflight_keys(self.request, user_id) if preflight_keys else []

    def _user_throttle_counter(self, user_id: Any) -> tuple[str, int] | None:
        """The counter the view's per-user throttle will count this request in, if any."""
        view = self.request.parser_context.get("view") if self.request is not None else None
        for throttle_class in getattr(view, "throttle_classes", ()):
            if issubclass(throttle_class, UserRateThrottle):
                return throttle_class().counter_for(user_id)
        return None


def _user_id(claim: Any) -> str:
    """The token's user id, in the form the cache keys and throttles use; raises when
    malformed (``ValidationError``) or empty (``User.DoesNotExist``)."""
    user_id = User._meta.pk.to_python(claim)
    if user_id is None:
        raise User.DoesNotExist
    return str(user_id)


def user_for_authentication(
    user_id: Any, *, session_id: uuid.UUID | None = None, using: str = "default"
) -> AuthenticatedUser:
    """``User.objects.for_authentication(session_id=...).get(pk=user_id)`` through
    precompiled SQL.

    Raises ``User.DoesNotExist`` and, for a malformed id, ``ValidationError``.
    """
    statement = _authentication_statement(using, with_session=session_id is not None)
    values = {"user": user_id} if session_id is None else {"user": user_id, "session": session_id}
    found = statement.rows(**values)
    if not found:
        raise User.DoesNotExist
    # The raw SQL is for_authentication()'s, so its rows carry the annotations.
    return cast(AuthenticatedUser, found[0])


@functools.cache
def _authentication_statement(alias: str, *, with_session: bool) -> PrecompiledQuery:
    """``for_authentication(session_id=...).filter(pk=...)`` as SQL (config.db.precompiled)."""

    def lookup(user: Any, session: Any = None) -> models.QuerySet:
        return (
            User.objects.for_authentication(session_id=session)
            .filter(pk=user)
            # No ORDER BY: the model's ordering (by email) means nothing for a primary-key
            # lookup.
            .order_by()
        )

    fields = {"user": User._meta.pk}
    if with_session:
        fields["session"] = AuthSession._meta.pk
    return precompile(lookup, alias, **fields)


def forget_permissions(user: User) -> None:
    """Record that ``user`` holds no group or permission, for this request only."""
    for attribute in PERMISSION_CACHE_ATTRIBUTES:
        setattr(user, attribute, set())


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>``: the key's user, with the key as ``request.auth``."""

    keyword = "Api-Key"

    def authenticate(self, request):
        keyword, _, key = request.headers.get("Authorization", "").partition(" ")
        if keyword != self.keyword:
            return None
        api_key = api_keys.api_key_authenticate(key=key.strip())
        bind_user(api_key.user.pk)
        read_own_writes(api_key.user.pk)
        # Annotated by the authenticating query (accounts.api_keys), as for bearer tokens.
        if not getattr(api_key, "user_has_roles", True):
            forget_permissions(api_key.user)
        return api_key.user, api_key
