import difflib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Write the GraphQL schema (SDL) to schema.graphql, or --check that it is current."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, default=None, help="default: schema.graphql at the project root"
        )
        parser.add_argument(
            "--check", action="store_true", help="fail, with a diff, if the file is stale"
        )

    def handle(self, *args: Any, file: Path | None, check: bool, **options: Any) -> None:
        from graphql_api.schema import schema

        path = file or Path(settings.BASE_DIR) / "schema.graphql"
        generated = schema.as_str() + "\n"
        if not check:
            path.write_text(generated)
            self.stdout.write(self.style.SUCCESS(f"Wrote {path}."))
            return
        committed = path.read_text() if path.exists() else ""
        if committed != generated:
            diff = difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                fromfile=str(path),
                tofile="generated",
            )
            self.stderr.write("".join(diff))
            raise CommandError(f"{path} is stale: run make graphql-schema and commit it.")
        self.stdout.write(self.style.SUCCESS(f"{path} is up to date."))
