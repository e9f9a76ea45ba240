"""The ASGI application: Django for HTTP, Channels for the WebSockets of live updates.

Served by the realtime process (``manage.py serve_realtime``, uvicorn) and, in
development, by ``manage.py runserver``; the REST API's production workers are gunicorn's
(WSGI, ``config/wsgi.py``).
"""

import os
from pathlib import Path

from django.core.asgi import get_asgi_application

from config.settings.env import read_dotenv

read_dotenv(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django is set up before anything that imports models.
http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

# Named, as config/urls.py names the apps' URLconfs: config imports no app above it.
websocket_application = import_string("realtime.routing.websocket_application")

application = ProtocolTypeRouter({"http": http_application, "websocket": websocket_application})
