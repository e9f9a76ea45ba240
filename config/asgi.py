import os
from pathlib import Path

from django.core.asgi import get_asgi_application

from config.settings.env import read_dotenv

read_dotenv(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()
