"""Hooks that let the apps built on accounts react, without accounts importing them."""

from django.dispatch import Signal

# Sent by ``services.user_remove`` inside its transaction, with ``user=``, before the
# user's rows go (every owned row cascades with the user). Receivers clean up what the
# database cannot, such as a file app's stored objects, after the commit; an app
# connects its receiver in its ``AppConfig.ready()``.
user_removing = Signal()
