#!/usr/bin/env python
import os
import sys
from pathlib import Path


def main() -> None:
    from config.settings.env import read_dotenv

    read_dotenv(Path(__file__).resolve().parent)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
