"""Sessions: each login is one, the family of refresh tokens rotated from it (``AuthSession``).

Every token of a session carries its id (``accounts.tokens.SESSION_ID_CLAIM``);
``services.py`` issues and rotates the tokens and calls these to record where a session
is used from, or to end it. An ended session's refresh tokens are refused by rotation,
its access tokens by authentication, which reads the session in the user's one query.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.utils import timezone

from accounts.auth_cache import users_changed
from accounts.models import AuthSession, User


@dataclass(frozen=True)
class SessionClient:
    """Where a session is used from, as the view read it from the request."""

    ip: str | None = None
    user_agent: str = ""


UNKNOWN_CLIENT = SessionClient()


def auth_session_start(
    *,
    user: User,
    session_id: uuid.UUID,
    expires_at: datetime,
    client: SessionClient,
    started_at: datetime | None = None,
) -> AuthSession:
    now = timezone.now()
    return AuthSession.objects.create(
        id=session_id,
        user=user,
        created_at=started_at or now,
        last_used_at=now,
        expires_at=expires_at,
        **_client_fields(client),
    )


def auth_session_continue(
    *, user: User, session_id: uuid.UUID, expires_at: datetime, client: SessionClient
) -> bool:
    """Record a use of the user's session, in one UPDATE; False if it is ended or gone.

    Concurrent ending and continuing queue on the row's lock, so a session ended while
    it is being refreshed is either ended before (refused here) or after (and the new
    tokens are refused in turn).
    """
    continued = AuthSession.objects.filter(pk=session_id, user=user, ended_at__isnull=True).update(
        last_used_at=timezone.now(), expires_at=expires_at, **_client_fields(client)
    )
    return continued == 1


def auth_session_end(*, session_id: uuid.UUID) -> None:
    """End the session if it is still going."""
    going = AuthSession.objects.filter(pk=session_id, ended_at__isnull=True)
    owners = list(going.values_list("user_id", flat=True))
    if going.update(ended_at=timezone.now()):
        # Its access tokens are refused from the next request on, in every process.
        users_changed(owners)


def auth_sessions_end(*, user: User, keep: uuid.UUID | None = None) -> int:
    """End every session of the user still going, except ``keep``; returns how many."""
    going = AuthSession.objects.owned_by(user).filter(ended_at__isnull=True)
    if keep is not None:
        going = going.exclude(pk=keep)
    ended = going.update(ended_at=timezone.now())
    if ended:
        users_changed([user.pk])
    return ended


def auth_sessions_flush_expired() -> int:
    """Delete the sessions whose refresh tokens have all expired, ended or not."""
    deleted, _ = AuthSession.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def _client_fields(client: SessionClient) -> dict[str, str | None]:
    # The address comes from headers when Keel is behind proxies (NUM_PROXIES): a value
    # that is no address is stored as unknown rather than refused by the database. NUL
    # is the one character PostgreSQL cannot store in text.
    user_agent = client.user_agent.replace("\x00", "")
    return {
        "ip": _valid_ip(client.ip),
        "user_agent": user_agent[: AuthSession.USER_AGENT_MAX_LENGTH],
    }


def _valid_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        validate_ipv46_address(ip)
    except ValidationError:
        return None
    return ip
