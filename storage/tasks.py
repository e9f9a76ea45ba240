"""Background work of the storage app, run through Django's tasks API."""

from django_tasks import TaskContext, task

from config.api.exceptions import StorageUnavailable
from storage.backends import file_storage


@task(takes_context=True)
def objects_delete(context: TaskContext, *, keys: list[str], attempt: int = 1) -> None:
    """Delete stored objects whose rows are gone; a bucket that is down is retried later.

    Deleting is idempotent, so a retry of keys already deleted does no harm. An object
    whose deletion finally gives up is an orphan ``storage_reconcile --delete`` removes.
    """
    from config.ops.tasks import task_retry_later

    storage = file_storage()
    for index, key in enumerate(keys):
        try:
            storage.delete(key)
        except StorageUnavailable as error:
            task_retry_later(
                objects_delete,
                task_id=context.task_result.id,
                attempt=attempt,
                error=error,
                kwargs={"keys": keys[index:]},
            )
            return
