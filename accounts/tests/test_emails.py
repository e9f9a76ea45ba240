"""The account emails: subject, text and HTML parts, and the frontend links."""

import pytest

from accounts import email_change, services
from accounts.tests.helpers import NEW_PASSWORD, PASSWORD, email_link

pytestmark = pytest.mark.django_db

FRONTEND_URL = "https://app.example.test"


def _register(user):
    services.user_register(email="new@example.com", password=PASSWORD, first_name="Nan")


def _register_taken(user):
    services.user_register(email=user.email.upper(), password=PASSWORD)


def _reset(user):
    services.password_reset_request(email=user.email)


def _change(user):
    services.password_change(user=user, current_password=PASSWORD, new_password=NEW_PASSWORD)


def _email_change(user):
    # Two emails: the confirmation to the new address, the notice to the old one.
    email_change.email_change_request(user=user, password=PASSWORD, new_email="new@example.com")


@pytest.mark.parametrize(
    ("send", "subject", "page", "to"),
    [
        (
            _register,
            "Confirm your email address for Keel",
            "/verify-email?uid=",
            "new@example.com",
        ),
        (
            _register_taken,
            "Someone tried to register with your Keel address",
            "/reset-password",
            "ann@example.com",
        ),
        (_reset, "Reset your Keel password", "/reset-password?uid=", "ann@example.com"),
        (_change, "Your Keel password was changed", "/", "ann@example.com"),
        (
            _email_change,
            "Confirm your new email address for Keel",
            "/confirm-email-change?uid=",
            "new@example.com",
        ),
        (
            _email_change,
            "Your Keel email address is being changed",
            "/reset-password",
            "ann@example.com",
        ),
    ],
)
def test_account_email_has_text_and_html_parts_linking_to_the_frontend(
    user, settings, mailoutbox, django_capture_on_commit_callbacks, send, subject, page, to
):
    settings.FRONTEND_URL = FRONTEND_URL
    with django_capture_on_commit_callbacks(execute=True):
        send(user)

    (message,) = [message for message in mailoutbox if message.to == [to]]
    assert message.subject == subject
    # Sent to, and so naming, the address it went to.
    assert f"sent to {to}" in message.alternatives[0][0]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    link = email_link(message)
    assert link.startswith(f"{FRONTEND_URL}{page}")

    assert len(message.alternatives) == 1
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert html.lstrip().startswith("<!doctype html>")
    assert "&amp;" not in message.body
    # The HTML part holds the same link, escaped as HTML requires.
    assert link.replace("&", "&amp;") in html
    if "?" in link:
        assert "&token=" in link
        assert f'href="{link.replace("&", "&amp;")}"' in html


def test_account_email_greets_by_first_name_and_escapes_it_in_html(
    user, mailoutbox, django_capture_on_commit_callbacks
):
    services.user_update_profile(user=user, data={"first_name": "<b>Ann</b> & Co"})
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email=user.email)
    message = mailoutbox[0]
    assert message.body.startswith("Hello <b>Ann</b> & Co,")
    html = message.alternatives[0][0]
    assert "Hello &lt;b&gt;Ann&lt;/b&gt; &amp; Co," in html
    assert "<b>Ann</b>" not in html
