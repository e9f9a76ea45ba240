"""Retries for background tasks, which Django's tasks API leaves to the task itself."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("keel.tasks")


def task_retry_later(task, *, task_id: str, attempt: int, error: Exception, kwargs: dict) -> None:
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
