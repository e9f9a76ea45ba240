from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError

from config.api.exceptions import ApplicationError
from storage import services


class Command(BaseCommand):
    help = "List, create or delete buckets on the S3-compatible server (STORAGE_BACKEND=s3)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="list the buckets these credentials can see")
        actions.add_parser("create", help="create a bucket").add_argument("name")
        actions.add_parser("delete", help="delete an empty bucket").add_argument("name")

    def handle(self, *args, action: str, **options):
        try:
            if action == "list":
                for name in services.bucket_names():
                    self.stdout.write(name)
            elif action == "create":
                services.bucket_create(name=options["name"])
                self.stdout.write(self.style.SUCCESS(f"Created bucket {options['name']}."))
            else:
                services.bucket_delete(name=options["name"])
                self.stdout.write(self.style.SUCCESS(f"Deleted bucket {options['name']}."))
        except (ApplicationError, ClientError, BotoCoreError) as error:
            raise CommandError(str(error)) from error
