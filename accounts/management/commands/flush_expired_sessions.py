from django.core.management.base import BaseCommand

from accounts import sessions


class Command(BaseCommand):
    help = "Delete sessions whose refresh tokens have all expired, ended or not."

    def handle(self, *args, **options):
        deleted = sessions.auth_sessions_flush_expired()
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} expired session(s)."))
