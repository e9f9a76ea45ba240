"""``manage.py db_worker``: django-tasks-db's worker, surviving a database restart.

The library's worker exits on the first database error that is not a lock; nothing
would then send the queued emails. This one logs a warning, drops its connections,
waits (doubling up to 30 s) and carries on. While it runs, it reclaims the tasks a dead
worker left RUNNING past ``TASK_LEASE_SECONDS`` (at start, then every half lease, at
most a minute apart); so does the hourly ``run_periodic_jobs``. A task's outcome is
written even if the database restarts just as the task ends (it is retried, for half a
lease), so a finished task is not run twice.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from config.ops.tasks import tasks_reclaim_stale

logger = logging.getLogger("keel.tasks")
_LONGEST_PAUSE = 30.0


class StaleTaskReaper(threading.Thread):
    """Beside a worker: queues again the tasks that dead workers left RUNNING."""

    def __init__(self, every: float) -> None:
        super().__init__(name="stale-task-reaper", daemon=True)
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                tasks_reclaim_stale()
            except DatabaseError as error:
                logger.warning("could not reclaim stale tasks; trying again later: %s", error)
            finally:
                # This thread's own connection: closed, never left open across a restart.
                connections.close_all()


def reaper_interval() -> float:
    return min(settings.TASK_LEASE_SECONDS / 2, 60.0)


def _recorded_patiently(record: Callable[..., None]) -> Callable[..., None]:
    """``record`` (a task's outcome) retried across a database restart, for half a lease.

    An outcome that is never written leaves the task RUNNING: it is reclaimed and runs
    again, and its email goes out twice. Past half a lease the task is left to that.
    """

    def patient(*args: Any) -> None:
        pause, give_up_at = 0.5, time.monotonic() + settings.TASK_LEASE_SECONDS / 2
        while True:
            try:
                return record(*args)
            except (OperationalError, InterfaceError) as error:
                if time.monotonic() + pause > give_up_at:
                    raise
                logger.warning("could not record a task's outcome; retrying: %s", error)
                connections.close_all()
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)

    return patient


class ReconnectingWorker(db_worker.Worker):
    def run_task(self, db_task_result: DBTaskResult) -> None:
        db_task_result.set_successful = _recorded_patiently(db_task_result.set_successful)
        db_task_result.set_failed = _recorded_patiently(db_task_result.set_failed)
        super().run_task(db_task_result)

    def run(self) -> None:
        reaper = StaleTaskReaper(reaper_interval())
        reaper.start()
        try:
            self._run_reconnecting()
        finally:
            reaper.stopped.set()

    def _run_reconnecting(self) -> None:
        pause = 1.0
        while self.running:
            try:
                tasks_reclaim_stale()
                super().run()
                return
            except (OperationalError, InterfaceError) as error:
                logger.warning(
                    "database unavailable; the worker retries in %.0f s: %s", pause, error
                )
                connections.close_all()
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)


class Command(db_worker.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        # The library's handle() builds its own Worker; run ours with the same options.
        # Swapping the module's class is what mypy cannot type (it refuses assigning to
        # a class name), hence the two ignores.
        original, db_worker.Worker = db_worker.Worker, ReconnectingWorker  # type: ignore[misc]
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original  # type: ignore[misc]
