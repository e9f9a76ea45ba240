"""Retries for background tasks, which Django's tasks API leaves to the task itself."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks.base import Task
from prometheus_client import Counter

logger = logging.getLogger("keel.tasks")

TASKS_RECLAIMED = Counter(
    "keel_tasks_reclaimed", "Tasks left running by a dead worker and queued again."
)


def task_retry_later(
    task: "Task[Any, Any]", *, task_id: str, attempt: int, error: Exception, kwargs: dict
) -> None:
    """Enqueue ``task`` again after an exponential backoff, or give up after the last try.

    Giving up re-raises ``error``, so the backend records the task as failed. The
    immediate backend (development, tests) cannot defer work and gives up at once; the
    database backend's worker retries after TASK_RETRY_BASE_SECONDS, doubling each time.
    """
    log_extra = {"task_id": task_id, "task": task.name, "attempt": attempt}
    if attempt >= settings.TASK_MAX_ATTEMPTS or not task.get_backend().supports_defer:
        logger.error("task failed; giving up", extra=log_extra, exc_info=error)
        raise error
    delay = settings.TASK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    retry = task.using(run_after=timezone.now() + timedelta(seconds=delay))
    retry.enqueue(**kwargs, attempt=attempt + 1)
    logger.warning(
        "task failed; retrying", extra={**log_extra, "retry_in_s": delay}, exc_info=error
    )


def tasks_reclaim_stale(*, lease_seconds: int | None = None) -> int:
    """Put tasks left RUNNING longer than the lease back in the queue; returns how many.

    A worker that died mid-task (killed, its machine gone) never marks its task done.
    Reclaimed tasks run again: delivery is at least once, so task functions are
    idempotent (an email may, rarely, be sent twice; never lost).
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    lease = timedelta(seconds=lease_seconds or settings.TASK_LEASE_SECONDS)
    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=timezone.now() - lease
    )
    reclaimed = stale.update(status=TaskResultStatus.READY, started_at=None)
    if reclaimed:
        TASKS_RECLAIMED.inc(reclaimed)
        logger.warning("reclaimed tasks left running by a dead worker", extra={"count": reclaimed})
    return reclaimed
