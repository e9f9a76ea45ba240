from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = (
        "Create the superuser named by DJANGO_SUPERUSER_EMAIL / DJANGO_SUPERUSER_PASSWORD "
        "if it does not exist; safe to run at every container start."
    )

    def handle(self, *args, **options):
        email = settings.DJANGO_SUPERUSER_EMAIL
        password = settings.DJANGO_SUPERUSER_PASSWORD
        if not email or not password:
            raise CommandError(
                "Set DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD to create a superuser."
            )
        try:
            user, created = services.superuser_ensure(email=email, password=password)
        except ValidationError as error:
            raise CommandError(
                f"Cannot create the superuser: {' '.join(error.messages)}"
            ) from error
        verb = "Created" if created else "Kept existing"
        self.stdout.write(self.style.SUCCESS(f"{verb} superuser {user.email}."))
