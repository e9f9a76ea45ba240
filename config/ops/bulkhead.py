"""A bulkhead: at most so many of one instance's requests inside calls to one service.

A bucket that accepts connections but does not answer holds every sync worker that calls
it for that call's timeouts. When all of an instance's workers are held so, nothing else
is served, not even ``/health/live``, and the orchestrator restarts a healthy instance.
A bulkhead keeps one request slot of the instance free of the service: past ``slots``
concurrent calls, a call waits ``wait`` seconds for a slot, then is refused (503, like an
open circuit breaker), and the workers stay free for everything else. Once a call has
waited in vain, the next ones for a second do not wait at all.

The slots are ``flock``-ed files in a directory of the instance's own, so every worker of
one gunicorn master shares them and a worker that dies, even by SIGKILL, frees its slot
with its descriptors. Each gunicorn worker ``share``s it on joining its instance
(``config.ops.instance``); a process that never did (runserver, a command, the task
worker) has no limit.
"""

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger("keel.dependencies")

# Polling for a free slot: short against the wait, long against a system call.
_POLL_SECONDS = 0.01
# After a call waited in vain, the service is known to be holding every slot: for this
# long, calls try once and do not wait, so requests queued behind them (a liveness
# probe among them) do not each pay the wait in turn.
_SATURATED_SECONDS = 1.0


class AllSlotsBusy(Exception):
    """Every slot of the bulkhead stayed taken for as long as a call may wait."""


class Bulkhead:
    def __init__(self, name: str, *, wait: float = 0.5) -> None:
        self.name = name
        self.wait = wait
        self._directory: Path | None = None
        self._slots = 0
        self._pid = 0
        self._descriptors: list[int] = []
        # flock() belongs to an open file: threads of one process must not share a slot.
        self._held: set[int] = set()
        self._saturated_until = 0.0
        self._lock = threading.Lock()

    @property
    def slots(self) -> int:
        """How many calls may be in flight at once; 0 when there is no limit."""
        return self._slots

    def share(self, directory: Path, slots: int) -> None:
        """Limit this process, with every other one given the same directory, to ``slots``."""
        self.close()
        self._directory, self._slots = directory, max(0, slots)

    def close(self) -> None:
        """Forget the limit (and this process's descriptors): calls run unbounded."""
        with self._lock:
            if self._pid == os.getpid():
                _close_all(self._descriptors)
            self._descriptors, self._held = [], set()
            self._directory, self._slots, self._pid = None, 0, 0
            self._saturated_until = 0.0

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block; raises ``AllSlotsBusy`` if none frees in time."""
        if not self._slots:
            yield
            return
        held = self._acquire()
        try:
            yield
        finally:
            self._release(held)

    def _acquire(self) -> int | None:
        now = time.monotonic()
        deadline = now if now < self._saturated_until else now + self.wait
        while True:
            with self._lock:
                descriptors = self._open_slots()
                if descriptors is None:
                    return None
                for number, descriptor in enumerate(descriptors):
                    if number not in self._held and _try_lock(descriptor):
                        self._held.add(number)
                        return number
            if time.monotonic() >= deadline:
                self._saturated_until = time.monotonic() + _SATURATED_SECONDS
                raise AllSlotsBusy(f"all {self._slots} {self.name} slots busy for {self.wait:g} s")
            time.sleep(_POLL_SECONDS)

    def _release(self, number: int | None) -> None:
        if number is None:
            return
        with self._lock:
            if number in self._held and self._pid == os.getpid():
                fcntl.flock(self._descriptors[number], fcntl.LOCK_UN)
            self._held.discard(number)

    def _open_slots(self) -> list[int] | None:
        """This process's descriptors of the slot files, opened once per process."""
        if self._pid == os.getpid():
            return self._descriptors
        directory = self._directory
        if directory is None:
            # close() ran after slot() saw a limit: calls run unbounded now.
            return None
        # A forked child shares its parent's open files, locks included: it opens its own.
        _close_all(self._descriptors)
        self._descriptors, self._held, self._pid = [], set(), os.getpid()
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            for number in range(self._slots):
                path = directory / f"{self.name}.{number}"
                flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
                self._descriptors.append(os.open(path, flags, 0o600))
        except OSError as error:
            # A read-only /tmp must not take uploads down: run without the limit.
            logger.warning("%s bulkhead off: %s", self.name, error)
            _close_all(self._descriptors)
            self._descriptors, self._slots = [], 0
            return None
        return self._descriptors


def _close_all(descriptors: list[int]) -> None:
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            os.close(descriptor)


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
