"""Background work of the accounts app, run through Django's tasks API."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django_tasks import TaskContext, task

from config.ops.tasks import task_retry_later


@task(takes_context=True)
def send_templated_email(
    context: TaskContext, *, template: str, to: str, variables: dict, attempt: int = 1
) -> None:
    """Render ``templates/emails/<template>.{subject.txt,txt,html}`` and send it.

    A mail server that is down or refuses the message is retried with backoff.
    """
    variables = {**variables, "site_name": settings.SITE_NAME}
    subject = render_to_string(f"emails/{template}.subject.txt", variables).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", variables),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", variables), "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        task_retry_later(
            send_templated_email,
            task_id=context.task_result.id,
            attempt=attempt,
            error=error,
            kwargs={"template": template, "to": to, "variables": variables},
        )
