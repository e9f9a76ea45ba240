from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from storage import services


class Command(BaseCommand):
    help = (
        "Report objects in storage without a database row (orphans) and active rows "
        "whose object is missing; --delete removes the orphans."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete orphan objects")
        parser.add_argument(
            "--grace-minutes",
            type=float,
            default=60,
            help="never delete orphans younger than this; uploads in flight look like them"
            " (default 60)",
        )

    def handle(self, *args, delete: bool, grace_minutes: float, **options):
        if grace_minutes < 0:
            raise CommandError("--grace-minutes must be zero or more.")
        report = services.storage_reconcile(
            delete=delete, grace=timedelta(minutes=grace_minutes), progress=self._progress
        )
        self.stderr.write("")
        for key in report.orphan_objects:
            self.stdout.write(f"orphan object: {key}")
        for key in report.missing_objects:
            self.stdout.write(self.style.WARNING(f"missing object for row: {key}"))
        summary = (
            f"{len(report.orphan_objects)} orphan object(s), "
            f"{len(report.missing_objects)} row(s) without object"
        )
        if delete:
            summary += f"; deleted {report.deleted} orphan object(s)"
        self.stdout.write(self.style.SUCCESS(summary + "."))

    def _progress(self, checked: int) -> None:
        if checked % 1000 == 0:
            self.stderr.write(f"\r  checked {checked} objects", ending="")
