"""What the kit tells the apps above it: an owned object was created, updated or deleted.

A resource app registers its model once, in its ``AppConfig.ready()``::

    register_resource_events(Note, name="note", serializer=NoteSerializer)

From then on the kit's writes (``resource_create``, ``resource_update``,
``resource_delete``) and an app's own writes that call ``resource_announce`` send
``resource_committed`` once their transaction has committed, with:

- ``event_type``: ``"note.created"``, ``"note.updated"`` or ``"note.deleted"``;
- ``owner_id``: whose object it is;
- ``data``: the object as the REST API shows it (its output serializer), taken when it
  was written, so a deleted object is shown as it was.

An app that wants to hear of them (live updates: ``realtime``) connects a receiver in its
own ``ready()``; with no receiver connected an announcement costs a dictionary lookup.
A receiver must not raise: the write it hears of has committed already (a receiver that
does is logged, and the request still succeeds).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.dispatch import Signal
from rest_framework.serializers import BaseSerializer

resource_committed = Signal()

ACTIONS = ("created", "updated", "deleted")


@dataclass(frozen=True)
class _EventSource:
    name: str
    serializer: type[BaseSerializer]


_sources: dict[type[models.Model], _EventSource] = {}


def register_resource_events(
    model: type[models.Model], *, name: str, serializer: type[BaseSerializer]
) -> None:
    """Announce writes of ``model`` as ``<name>.<action>`` events shaped by ``serializer``."""
    _sources[model] = _EventSource(name=name, serializer=serializer)


def resource_announce(instance: models.Model, action: str) -> None:
    """Send ``resource_committed`` for ``instance`` once the current transaction commits.

    Outside a transaction (a single INSERT in autocommit) it is sent at once.
    """
    announce_after_commit(resource_announcement(instance, action))


def resource_announcement(instance: models.Model, action: str) -> Callable[[], Any] | None:
    """The announcement of ``instance``'s ``action``, showing it as it is now.

    None when nobody listens or the model is not registered. A deletion takes it before
    deleting (the object can no longer be shown after) and announces it once deleted.
    """
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    source = _sources.get(type(instance))
    if source is None or not resource_committed.has_listeners():
        return None
    # No request: an output serializer of an owned resource shows columns, not links.
    return functools.partial(
        resource_committed.send,
        sender=type(instance),
        event_type=f"{source.name}.{action}",
        owner_id=instance.owner_id,  # type: ignore[attr-defined]  # an owned model's
        data=source.serializer(instance).data,
    )


def announce_after_commit(announcement: Callable[[], Any] | None) -> None:
    if announcement is not None:
        # robust: the write has committed; a receiver failing must not make it a 500.
        transaction.on_commit(announcement, robust=True)


def registered_event_names() -> dict[type[models.Model], str]:
    """Every registered model and its event name."""
    return {model: source.name for model, source in _sources.items()}
