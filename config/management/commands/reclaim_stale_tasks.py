from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from config.ops.tasks import tasks_reclaim_stale


class Command(BaseCommand):
    help = "Queue again the tasks left RUNNING longer than TASK_LEASE_SECONDS by a dead worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lease", type=int, help="seconds (default: TASK_LEASE_SECONDS)")

    def handle(self, *args: Any, lease: int | None, **options: Any) -> None:
        reclaimed = tasks_reclaim_stale(lease_seconds=lease)
        self.stdout.write(self.style.SUCCESS(f"Reclaimed {reclaimed} stale task(s)."))
