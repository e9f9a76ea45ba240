"""``manage.py runserver`` on the ASGI application: HTTP and WebSockets from one server.

Django's own command in every respect (its options, system checks, migration warning,
auto-reloader and static files), but the server it starts is uvicorn serving
``config.asgi`` (``realtime.server``), so ``/ws/v1/events/`` works in development as the
realtime process serves it in production. ``realtime`` comes first in INSTALLED_APPS
for this command to replace staticfiles' ``runserver``.
"""

from typing import Any

from channels.routing import get_default_application
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.contrib.staticfiles.management.commands import runserver

from realtime.server import Listener, listening_socket


class DevelopmentServer(Listener):
    """What Django's ``basehttp.run()`` expects of its ``server_cls``, serving with uvicorn."""

    def __init__(
        self, server_address: tuple[str, int], handler_class: type, ipv6: bool = False
    ) -> None:
        super().__init__(listening_socket(*server_address, ipv6=ipv6))
        self.server_port = self.port
        self.application: Any = None

    def set_app(self, application: Any) -> None:
        self.application = application

    def serve_forever(self) -> None:
        self.run(self.application)


class Command(runserver.Command):
    help = (
        "Serve the API and the live-updates WebSockets (config.asgi, with uvicorn) for "
        "development, reloading on code changes, with the static files."
    )
    # Django's run() uses only what DevelopmentServer has of a WSGIServer.
    server_cls = DevelopmentServer  # type: ignore[assignment]

    def get_handler(self, *args: Any, **options: Any) -> Any:
        application = get_default_application()
        if options["use_static_handler"] and (settings.DEBUG or options["insecure_serving"]):
            return ASGIStaticFilesHandler(application)
        return application
