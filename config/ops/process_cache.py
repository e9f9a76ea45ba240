"""Small caches of one process: bounded, each entry until its own moment, copied in and out."""

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class ExpiringLru(Generic[Value]):
    """At most ``max_entries`` values, each until the moment ``put`` gives it on ``clock``;
    the least recently used goes first. Values are copied in and out (``copier``): a
    request may change what it was given without changing what the next one gets.
    Thread-safe (gthread workers)."""

    def __init__(
        self,
        max_entries: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        copier: Callable[[Value], Value] = copy.copy,
    ) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self.copier = copier
        self._entries: OrderedDict[Hashable, tuple[float, Value]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            until, value = entry
            if until <= self.clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        return self.copier(value)

    def put(self, key: Hashable, value: Value, *, until: float) -> None:
        with self._lock:
            self._entries[key] = (until, self.copier(value))
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
