"""The bearer token's user without a database round trip, and still exact.

Each user has an *auth version* in the cache: a random number, and a global one covers
what groups may do. Every change that could alter who a user is or what they may do (a
save or deletion of the user, their groups or permissions, a group's permissions, an
ended session) deletes the user's version (``users_changed``, ``roles_changed``), at
once and again after commit. A request reads the versions in the same round trip to
Redis as its throttle counter (``config.ops.cache.read_and_count``), then takes its user
from a small per-process cache, kept under those versions. A version that is missing
(never read, just changed, or Redis restarted empty) is set to a fresh number *before*
the database is read, so a row read before a change can never be kept under a version
made after it; and the deletion after commit catches a reader that ran between the
change and its commit.

If Redis is down every request reads the database, as without this cache: an identity
is never served on a version that could not be read. One hole remains: a change whose
deletions both fail (Redis unreachable at that moment, from that process) is seen by
other processes only when their entry expires, ``AUTH_USER_CACHE_SECONDS`` at most.
"""

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

from config.api.exceptions import CacheUnavailable
from config.ops.cache import read_and_count, versions_fill, versions_forget
from config.ops.process_cache import ExpiringLru

ROLES_VERSION_KEY = "authv:roles"
_MAX_ENTRIES = 10_000


def user_version_key(user_id: Any) -> str:
    return f"authv:user:{user_id}"


# --- Invalidation -------------------------------------------------------------------------


def users_changed(user_ids: Iterable[Any]) -> None:
    """Forget what is known of these users: now, and again once the transaction commits."""
    keys = [user_version_key(user_id) for user_id in user_ids]
    if keys:
        versions_forget(keys)


def roles_changed() -> None:
    """A group's permissions changed: every user's roles must be read again."""
    versions_forget([ROLES_VERSION_KEY])


# --- Lookup -------------------------------------------------------------------------------


# Users of this process, each under the versions it was read at, for a short time; a copy
# each time, as a request may set attributes on its user (permission caches, edits).
users: ExpiringLru[Any] = ExpiringLru(_MAX_ENTRIES)


def cached_user(
    user_id: Any,
    load: Callable[[], Any],
    *,
    scope: tuple = (),
    counter: tuple[str, int] | None = None,
    also_read: list[str] | None = None,
) -> tuple[Any, int | None, dict[str, Any] | None]:
    """The user ``load()`` reads, from this process's cache when its versions still hold;
    the count of ``counter``, and the values of ``also_read``, taken in the same round
    trip (None when Redis could not be asked).

    ``scope`` is what else the loaded user depends on (the token's session).
    """
    also_read = also_read or []
    version_keys = [user_version_key(user_id), ROLES_VERSION_KEY]
    try:
        values, count = read_and_count(version_keys + also_read, counter)
    except CacheUnavailable:
        return load(), None, None
    versions, read = (
        values[: len(version_keys)],
        dict(zip(also_read, values[len(version_keys) :], strict=True)),
    )
    if None in versions:
        try:
            versions = versions_fill(version_keys, versions)
        except CacheUnavailable:
            return load(), count, read
    if settings.AUTH_USER_CACHE_SECONDS <= 0:
        return load(), count, read
    key = (user_id, *scope, *versions)
    user = users.get(key)
    if user is None:
        user = load()
        users.put(key, user, until=time.monotonic() + settings.AUTH_USER_CACHE_SECONDS)
    return user, count, read
