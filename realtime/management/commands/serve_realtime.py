from channels.routing import get_default_application
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from realtime.server import Listener, listening_socket


class Command(BaseCommand):
    help = (
        "Serve the live-updates WebSockets (/ws/v1/events/) and the health probes with "
        "uvicorn: the realtime process. Run one per container or core, beside gunicorn."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default=settings.REALTIME_BIND,
            help="HOST:PORT to listen on (default: REALTIME_BIND, %(default)s).",
        )

    def handle(self, *args, bind: str, **options):
        host, _, port = bind.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"--bind must be HOST:PORT, not {bind!r}.")
        host = host.strip("[]")
        try:
            listener = listening_socket(host, int(port), ipv6=":" in host)
        except OSError as error:
            raise CommandError(f"cannot listen on {bind}: {error}") from error
        Listener(listener).run(get_default_application())
