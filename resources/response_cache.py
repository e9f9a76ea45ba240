"""Owners' list pages and retrieves served from the cache, and never one write stale.

Each owner of each resource has a *generation* (``config.ops.cache`` versions). Every
write of an owned row deletes its owner's generation at once and again after commit:
saves and deletions send Django's signals from every path (services, the admin,
``QuerySet.delete``, a user's deletion cascading), and ``OwnedQuerySet.update``,
``bulk_create``, ``bulk_update`` and ``resource_update`` (which update without signals)
call ``owners_changed`` themselves.

A viewset with ``cache_responses = True`` answers a member's GET of its list or of one
object from an entry kept under the request's owner, path and query: valid while the
entry's generation is the owner's current one. Both are read in the round trip that
authenticates a bearer request (``preflight_keys``), so a hit costs no query and no
further round trip; a miss's entry is kept with the process's next such round trip
(``config.ops.cache.set_later``), so a miss costs none either. So:

- a writer reads its own write: its write changed the generation before it answered;
- another user's request never hits an owner's entry: the owner in the key is the
  requesting user, and members only ever see their own rows;
- staff (who read everyone's rows) are never served from it, nor stored;
- Redis down: straight to the database, as without the cache.
"""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save
from rest_framework.request import Request

from config.api.exceptions import CacheUnavailable
from config.ops.cache import read_and_count, set_later, versions_fill, versions_forget


def generation_key(model: type[models.Model], owner_id: Any) -> str:
    return f"gen:{model._meta.label_lower}:{owner_id}"


def owners_changed(model: type[models.Model], owner_ids: Iterable[Any]) -> None:
    """Rows of ``model`` owned by these users changed: their kept responses are stale."""
    keys = sorted({generation_key(model, owner_id) for owner_id in owner_ids})
    if keys:
        versions_forget(keys)


def row_saved_or_deleted(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    owner_id = getattr(instance, "owner_id", None)
    if owner_id is not None:
        owners_changed(sender, [owner_id])


def connect_owned_models() -> None:
    """Every model whose manager's QuerySet is an ``OwnedQuerySet`` tells its writes."""
    from resources.models import OwnedQuerySet

    for model in apps.get_models():
        if isinstance(model._default_manager.get_queryset(), OwnedQuerySet):
            uid = f"response_cache.{model._meta.label_lower}"
            post_save.connect(row_saved_or_deleted, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(row_saved_or_deleted, sender=model, dispatch_uid=f"{uid}.delete")


def preflight_keys(request: Request, model: type[models.Model], user_id: Any) -> list[str]:
    """What a cacheable GET reads in the authenticating round trip: generation, entry."""
    if request.method != "GET":
        return []
    return [generation_key(model, user_id), _entry_key_for(request, model, user_id)]


def _entry_key_for(request: Request, model: type[models.Model], user_id: Any) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in (request.get_full_path(), request.headers.get("Accept", "")):
        digest.update(part.encode())
        digest.update(b"\0")
    return f"response:{model._meta.label_lower}:{user_id}:{digest.hexdigest()}"


class Lookup:
    """A cacheable request's generation and kept entry, read ahead or now."""

    def __init__(self, request: Request, model: type[models.Model]):
        self.generation_key = generation_key(model, request.user.pk)
        self.entry_key = _entry_key_for(request, model, request.user.pk)
        self.generation, self.entry = _read(request, [self.generation_key, self.entry_key])

    def hit(self) -> dict[str, Any] | None:
        """The kept entry (``data``, ``etag``), if it was kept under today's generation."""
        entry = self.entry
        if self.generation is None or not isinstance(entry, dict):
            return None
        return entry if entry.get("generation") == self.generation else None

    def keep(self, data: Any, etag: str) -> None:
        """Keep a response just computed, under the generation read before computing it:
        with this process's next round trip to Redis (``set_later``), not one of its own."""
        if self.generation is None:
            return
        entry = {"generation": self.generation, "data": data, "etag": etag}
        set_later(self.entry_key, entry, settings.RESPONSE_CACHE_SECONDS)

    def ensure_generation(self) -> None:
        """A missing generation is set now, before the database is read (else: no keeping)."""
        if self.generation is not None:
            return
        try:
            (self.generation,) = versions_fill([self.generation_key], [None])
        except CacheUnavailable:
            self.generation = None


def _read(request: Request, keys: list[str]) -> tuple[Any, Any]:
    ahead = getattr(request._request, "preflight", None)
    if ahead is not None and all(key in ahead for key in keys):
        return ahead[keys[0]], ahead[keys[1]]
    try:
        values, _ = read_and_count(keys)
    except CacheUnavailable:
        return None, None
    return values[0], values[1]
