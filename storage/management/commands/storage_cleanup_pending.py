from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from storage import services


class Command(BaseCommand):
    help = "Delete direct uploads that were started but never completed (default: after a day)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-hours",
            type=float,
            help="age limit (default FILES_PENDING_MAX_AGE_SECONDS)",
        )

    def handle(self, *args, older_than_hours: float | None, **options):
        if older_than_hours is not None and older_than_hours < 0:
            raise CommandError("--older-than-hours must be zero or more.")
        age = timedelta(hours=older_than_hours) if older_than_hours is not None else None
        deleted = services.pending_uploads_cleanup(older_than=age)
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} stale pending upload(s)."))
