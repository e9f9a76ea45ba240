from django.core.management.base import BaseCommand

from config.ops.tasks import tasks_reclaim_stale


class Command(BaseCommand):
    help = "Queue again the tasks left RUNNING longer than TASK_LEASE_SECONDS by a dead worker."

    def add_arguments(self, parser):
        parser.add_argument("--lease", type=int, help="seconds (default: TASK_LEASE_SECONDS)")

    def handle(self, *args, lease: int | None, **options):
        reclaimed = tasks_reclaim_stale(lease_seconds=lease)
        self.stdout.write(self.style.SUCCESS(f"Reclaimed {reclaimed} stale task(s)."))
