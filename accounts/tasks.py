"""Background work of the accounts app, run through Django's tasks API."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django_tasks import task


@task()
def send_templated_email(*, template: str, to: str, context: dict) -> None:
    """Render ``templates/emails/<template>.{subject.txt,txt,html}`` and send it."""
    context = {**context, "site_name": settings.SITE_NAME}
    subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()
