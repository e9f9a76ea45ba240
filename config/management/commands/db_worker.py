"""``manage.py db_worker``: django-tasks-db's worker, surviving a database restart.

The library's worker exits on the first database error that is not a lock; nothing
would then send the queued emails. This one logs a warning, drops its connections,
waits (doubling up to 30 s) and carries on. Each time it (re)starts it reclaims the
tasks a dead worker left RUNNING past ``TASK_LEASE_SECONDS``; so does the hourly
``run_periodic_jobs``.
"""

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker

from config.ops.tasks import tasks_reclaim_stale

logger = logging.getLogger("keel.tasks")
_LONGEST_PAUSE = 30.0


class ReconnectingWorker(db_worker.Worker):
    def run(self) -> None:
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
    def handle(self, *args, **options):
        # The library's handle() builds its own Worker; run ours with the same options.
        original, db_worker.Worker = db_worker.Worker, ReconnectingWorker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original
