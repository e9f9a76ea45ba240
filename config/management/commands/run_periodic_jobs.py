import logging
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from config.ops.periodic import PERIODIC_JOBS

logger = logging.getLogger("keel.periodic")


class Command(BaseCommand):
    help = (
        "Run the periodic upkeep jobs (expired tokens, stale uploads, storage report) once, "
        "or every --every seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, help="repeat with this many seconds between runs"
        )
        parser.add_argument("--only", choices=sorted(PERIODIC_JOBS), help="run one job only")

    def handle(self, *args: Any, every: float | None, only: str | None, **options: Any) -> None:
        if every is not None and every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        jobs = {only: PERIODIC_JOBS[only]} if only else PERIODIC_JOBS
        while True:
            failed = self._run_all(jobs)
            if every is None:
                break
            time.sleep(every)
            # A long-lived loop must drop connections the database closed meanwhile
            # (a restart, a failover), as Django does between requests.
            close_old_connections()
        if failed:
            raise CommandError(f"{failed} periodic job(s) failed; see the log.")

    def _run_all(self, jobs: dict[str, list[str]]) -> int:
        failed = 0
        for name, command in jobs.items():
            started = time.monotonic()
            try:
                call_command(*command, stdout=self.stdout, stderr=self.stderr)
            # One failing job (a bucket down, say) must not stop the others or the loop.
            except Exception:  # noqa: BLE001
                failed += 1
                logger.exception("periodic job failed", extra={"job": name})
            else:
                logger.info(
                    "periodic job done",
                    extra={"job": name, "duration_ms": round((time.monotonic() - started) * 1000)},
                )
        return failed
