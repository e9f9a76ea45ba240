import logging
import smtplib

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from accounts.tasks import send_templated_email

# Transactional, as the worker commits; serialized_rollback restores the data migrations' rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
VARIABLES = {"first_name": "Ann", "email": "ann@example.com", "link": "http://x/y?a=1&b=2"}


class RefusingEmailBackend:
    """The process edge: a mail server that refuses every message."""

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


@pytest.fixture
def failing_mail(settings):
    settings.EMAIL_BACKEND = "config.tests.test_tasks.RefusingEmailBackend"


def test_email_task_sends_through_the_database_worker(settings, mailoutbox):
    settings.TASKS = DATABASE_TASKS
    send_templated_email.enqueue(
        template="verify_email", to="ann@example.com", variables=VARIABLES
    )
    assert mailoutbox == []

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    [message] = mailoutbox
    assert message.to == ["ann@example.com"]
    assert "http://x/y?a=1&b=2" in message.body
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_failing_email_task_is_retried_later_with_backoff(settings, failing_mail, caplog):
    settings.TASKS = DATABASE_TASKS
    settings.TASK_RETRY_BASE_SECONDS = 30
    first = send_templated_email.enqueue(
        template="verify_email", to="ann@example.com", variables=VARIABLES
    )

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    retry = DBTaskResult.objects.exclude(id=first.id).get()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert 25 <= (retry.run_after - retry.enqueued_at).total_seconds() <= 35
    assert retry.status == "READY"
    [warning] = [r for r in caplog.records if r.getMessage() == "task failed; retrying"]
    assert warning.task_id == str(first.id)
    assert warning.attempt == 1


def test_email_task_gives_up_after_the_last_attempt(settings, failing_mail, caplog):
    settings.TASKS = DATABASE_TASKS
    settings.TASK_MAX_ATTEMPTS = 3
    result = send_templated_email.enqueue(
        template="verify_email", to="ann@example.com", variables=VARIABLES, attempt=3
    )

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert DBTaskResult.objects.get(id=result.id).status == "FAILED"
    assert DBTaskResult.objects.count() == 1
    [error] = [r for r in caplog.records if r.getMessage() == "task failed; giving up"]
    assert error.levelno == logging.ERROR
    assert error.task_id == str(result.id)


def test_failing_task_with_the_immediate_backend_never_breaks_the_request(
    failing_mail, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/auth/register/",
            {"email": "new@example.com", "password": "a long enough passphrase"},
        )
    assert response.status_code == 201
