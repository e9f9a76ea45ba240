"""The bulkhead: a hanging service holds at most its slots of an instance (issue 11)."""

import logging
import multiprocessing
import os
import signal
import threading
import time

import botocore.exceptions
import pytest

from config.api.exceptions import StorageUnavailable
from config.ops.bulkhead import AllSlotsBusy, Bulkhead
from config.ops.dependencies import BUCKET_ERRORS, DEPENDENCY_ERRORS, CircuitBreaker

WAIT = 0.5


@pytest.fixture
def shared(tmp_path):
    """A directory the 'workers' of one test instance share."""
    return tmp_path / "instance"


def breaker_with(bulkhead: Bulkhead) -> CircuitBreaker:
    return CircuitBreaker(
        "storage", errors=BUCKET_ERRORS, unavailable=StorageUnavailable, bulkhead=bulkhead
    )


def _hold_a_slot(directory, slots, holding, release):
    """Another worker of the instance, inside a call that hangs until ``release``."""
    bulkhead = Bulkhead("storage")
    bulkhead.share(directory, slots)
    with bulkhead.slot():
        holding.set()
        release.wait(30)


@pytest.fixture
def other_worker(shared):
    """Start a forked process holding one slot; it is killed at the end whatever happens."""
    context = multiprocessing.get_context("fork")
    started = []

    def start(slots: int):
        holding, release = context.Event(), context.Event()
        process = context.Process(
            target=_hold_a_slot, args=(shared, slots, holding, release), daemon=True
        )
        process.start()
        started.append(process)
        assert holding.wait(10), "the other worker never took its slot"
        return process

    yield start
    for process in started:
        if process.is_alive():
            os.kill(process.pid, signal.SIGKILL)
        process.join(10)


def test_a_call_finding_every_slot_held_by_another_worker_is_refused_after_the_wait(
    shared, other_worker
):
    other_worker(slots=1)
    bulkhead = Bulkhead("storage", wait=WAIT)
    bulkhead.share(shared, 1)
    breaker = breaker_with(bulkhead)
    calls, before = [], DEPENDENCY_ERRORS.labels("storage")._value.get()

    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as refused:
        breaker.call(calls.append, 1)

    assert WAIT <= time.monotonic() - started < WAIT + 1.5
    assert isinstance(refused.value.__cause__, AllSlotsBusy)
    assert calls == []  # the service was never called
    # Slow is not failing: the next call is let through as soon as a slot frees.
    assert not breaker.is_open
    assert DEPENDENCY_ERRORS.labels("storage")._value.get() == before + 1


def test_once_a_call_waited_in_vain_the_next_ones_are_refused_without_waiting(
    shared, other_worker
):
    holder = other_worker(slots=1)
    bulkhead = Bulkhead("storage", wait=WAIT)
    bulkhead.share(shared, 1)
    with pytest.raises(AllSlotsBusy), bulkhead.slot():
        pass

    started = time.monotonic()
    with pytest.raises(AllSlotsBusy), bulkhead.slot():
        pass
    assert time.monotonic() - started < WAIT / 2

    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)
    with bulkhead.slot():  # the one try finds the freed slot
        pass


def test_a_free_slot_lets_the_call_through_while_another_worker_holds_one(shared, other_worker):
    other_worker(slots=2)
    bulkhead = Bulkhead("storage", wait=WAIT)
    bulkhead.share(shared, 2)

    assert breaker_with(bulkhead).call(lambda: "answered") == "answered"


def test_a_worker_killed_inside_a_call_frees_its_slot(shared, other_worker):
    holder = other_worker(slots=1)
    bulkhead = Bulkhead("storage", wait=WAIT)
    bulkhead.share(shared, 1)

    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)

    assert breaker_with(bulkhead).call(lambda: "answered") == "answered"


def test_threads_of_one_process_do_not_share_a_slot(shared):
    bulkhead = Bulkhead("storage", wait=WAIT)
    bulkhead.share(shared, 1)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with bulkhead.slot():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(AllSlotsBusy), bulkhead.slot():
            pass
    finally:
        release.set()
        thread.join(10)
    with bulkhead.slot():  # released by the thread: free again
        pass


def test_a_slot_is_released_when_the_call_raises(shared):
    bulkhead = Bulkhead("storage", wait=WAIT)
    bulkhead.share(shared, 1)
    breaker = breaker_with(bulkhead)

    def hanging():
        raise botocore.exceptions.ReadTimeoutError(endpoint_url="http://s3")

    with pytest.raises(StorageUnavailable):
        breaker.call(hanging)
    with bulkhead.slot():
        pass


def test_a_process_it_was_never_configured_in_has_no_limit():
    bulkhead = Bulkhead("storage", wait=WAIT)

    with bulkhead.slot(), bulkhead.slot(), bulkhead.slot():
        assert bulkhead.slots == 0


def test_a_directory_it_cannot_create_turns_the_limit_off_with_a_warning(tmp_path, caplog):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    bulkhead = Bulkhead("storage", wait=WAIT)
    bulkhead.share(in_the_way / "instance", 1)

    with caplog.at_level(logging.WARNING), bulkhead.slot(), bulkhead.slot():
        pass

    assert bulkhead.slots == 0
    assert "storage bulkhead off" in caplog.text


def test_a_call_whose_bulkhead_is_closed_meanwhile_runs_unbounded(shared, monkeypatch):
    bulkhead = Bulkhead("storage", wait=WAIT)
    bulkhead.share(shared, 1)
    acquire = bulkhead._acquire

    def closed_meanwhile():
        # Another thread's close() lands after slot() saw the limit, before the lock.
        bulkhead.close()
        return acquire()

    monkeypatch.setattr(bulkhead, "_acquire", closed_meanwhile)
    with bulkhead.slot(), bulkhead.slot():
        assert bulkhead.slots == 0
