from django.core.management.base import BaseCommand, CommandError

from storage import services
from storage.backends import file_storage


class Command(BaseCommand):
    help = "Write, read back and delete a small object on the configured file storage."

    def handle(self, *args, **options):
        backend = type(file_storage()).__name__
        try:
            services.storage_round_trip()
        # Any failure of the backend (network, credentials, permissions, disk) is the
        # operator's answer; one line, non-zero exit.
        except Exception as error:  # noqa: BLE001
            raise CommandError(f"Storage check failed on {backend}: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Storage OK ({backend}): write, read, delete."))
