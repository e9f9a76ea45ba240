from django.core.management.base import BaseCommand

from storage import services


class Command(BaseCommand):
    help = (
        "Report objects in storage without a database row (orphans) and active rows "
        "whose object is missing; --delete removes the orphans."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete orphan objects")

    def handle(self, *args, delete: bool, **options):
        report = services.storage_reconcile(delete=delete, progress=self._progress)
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
