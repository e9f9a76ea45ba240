import secrets
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from items import demo


class Command(BaseCommand):
    help = (
        "Create demo users (demo1@example.com, ...) sharing one password (--password, or a "
        "random one, printed), each owning --items items with realistic titles. Idempotent: "
        "users are reused and topped up; --reset deletes the demo users and their items "
        "first. Refused with DEBUG off unless --force: demo accounts do not belong in "
        "production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=5, help="demo users (default 5)")
        parser.add_argument(
            "--items", type=int, default=100, help="items per demo user (default 100)"
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete existing demo users and items first"
        )
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument(
            "--password", help="the new demo users' password (default: a random one, printed)"
        )
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (production)"
        )

    def handle(self, *args, users: int, items: int, reset: bool, seed: int, **options):
        if users < 0 or items < 0:
            raise CommandError("--users and --items must be zero or more.")
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like production, where demo accounts do not belong. "
                "Add --force to seed it anyway."
            )
        password = options["password"] or secrets.token_urlsafe(12)
        if reset:
            deleted = demo.demo_reset()
            self.stdout.write(f"Deleted {deleted} demo user(s) and their items.")
        result = demo.demo_seed(
            users=users, items_per_user=items, password=password, seed=seed,
            progress=self._progress,
        )  # fmt: skip
        if result.users_created:
            self.stdout.write(
                f"Demo users log in with password: {password}  (e.g. {demo.demo_email(1)})"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.users_created} user(s) created, {result.items_created} item(s) "
                f"created; {users} demo user(s) with {items} item(s) each."
            )
        )

    def _progress(self, done: int, total: int) -> None:
        if not total:
            return
        width = 30
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        self.stderr.write(f"\r  items [{bar}] {done}/{total}", ending="")
        if done >= total:
            self.stderr.write("")
        sys.stderr.flush()
