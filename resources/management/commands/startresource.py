"""``manage.py startresource notes``: a new owned resource, served at ``/api/v1/notes/``."""

import importlib.util
import keyword
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError
from django.core.management.templates import TemplateCommand
from django.urls import Resolver404, resolve

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "app_template"
SETTINGS_FILE = Path("config/settings/base.py")
URLS_FILE = Path("config/urls.py")
APPS_MARKER = "# startresource: new apps go above this line"
URLS_MARKER = "# startresource: new resources go above this line"
APP_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
MODEL_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class Spellings:
    """Every spelling of the resource's name the app template uses."""

    app_name: str  # notes, blog_posts: package, app label, related_name
    model_name: str  # Note, BlogPost

    @property
    def model_lower(self) -> str:  # note, blog_post: service and variable names
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.model_name).lower()

    @property
    def model_lower_flat(self) -> str:  # note, blogpost: Django's model_name, permissions
        return self.model_name.lower()

    def context(self) -> dict[str, str]:
        return {
            "model_name": self.model_name,
            "model_lower": self.model_lower,
            "model_lower_flat": self.model_lower_flat,
            "url_prefix": self.app_name.replace("_", "-"),
            "index_prefix": self.app_name[:12].rstrip("_"),
            "verbose_name": self.model_lower.replace("_", " "),
            "verbose_name_plural": self.app_name.replace("_", " "),
        }


class Command(TemplateCommand):
    help = (
        "Create an owned resource: an app with model, services, API, admin, migrations and "
        "tests, registered in INSTALLED_APPS and under /api/v1/."
    )
    missing_args_message = "Give the resource's plural name, e.g. startresource notes."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Plural, lower case: notes, blog_posts.")
        parser.add_argument(
            "--model", help="Model class name when the singular is not the name minus 's'."
        )

    def handle(self, *args, **options):
        name = options["name"]
        base_dir = Path(settings.BASE_DIR)
        _check_name(name, base_dir)
        spellings = Spellings(app_name=name, model_name=options["model"] or _model_name(name))
        _check_spellings(spellings)
        settings_text, urls_text = _registered(name, base_dir)
        self._render(spellings, base_dir / name, options["verbosity"])
        (base_dir / SETTINGS_FILE).write_text(settings_text)
        (base_dir / URLS_FILE).write_text(urls_text)
        _tidy(base_dir / name)
        url = f"/api/v1/{spellings.context()['url_prefix']}/"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {name}/ (model {spellings.model_name}), registered at {url}"
            )
        )
        self.stdout.write(
            "Next: edit its fields in models.py, services.py and serializers.py, then run\n"
            f"  python manage.py makemigrations {name}\n"
            "  python manage.py migrate"
        )

    def _render(self, spellings: Spellings, target: Path, verbosity: int) -> None:
        # Rendered beside the project first, so a failure leaves no half-made app behind.
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            rendered = Path(scratch) / spellings.app_name
            rendered.mkdir()
            super().handle(
                "app",
                spellings.app_name,
                str(rendered),
                template=str(TEMPLATE_DIR),
                extensions=["py"],
                files=[],
                verbosity=verbosity,
                **spellings.context(),
            )
            rendered.rename(target)


def _model_name(name: str) -> str:
    singular = _singular(name)
    if singular == name:
        raise CommandError(f"Cannot tell the singular of {name!r}; name the model with --model.")
    return "".join(part.title() for part in singular.split("_"))


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def _check_name(name: str, base_dir: Path) -> None:
    """Refuse, before anything is written, a name that could not be a new app."""
    if not APP_NAME.fullmatch(name):
        raise CommandError(
            f"{name!r} is not a valid resource name: use lower-case letters, digits and "
            "single underscores, starting with a letter (e.g. notes, blog_posts)."
        )
    if keyword.iskeyword(name):
        raise CommandError(f"{name!r} is a Python keyword.")
    if apps.is_installed(name) or any(app.label == name for app in apps.get_app_configs()):
        raise CommandError(f"An app named {name!r} is already installed.")
    if (base_dir / name).exists():
        raise CommandError(f"{base_dir / name} already exists.")
    if importlib.util.find_spec(name) is not None:
        raise CommandError(f"{name!r} would shadow the Python module of that name.")
    if hasattr(get_user_model(), name):
        raise CommandError(f"Users already have an attribute {name!r}; choose another name.")


def _check_spellings(spellings: Spellings) -> None:
    if not MODEL_NAME.fullmatch(spellings.model_name):
        raise CommandError(f"{spellings.model_name!r} is not a valid model class name.")
    if keyword.iskeyword(spellings.model_lower):
        raise CommandError(f"{spellings.model_lower!r} is a Python keyword; use --model.")
    _check_route_is_free(spellings.context()["url_prefix"])


def _check_route_is_free(url_prefix: str) -> None:
    try:
        resolve(f"/api/v1/{url_prefix}/")
    except Resolver404:
        return
    raise CommandError(f"/api/v1/{url_prefix}/ is already served by another app.")


def _registered(name: str, base_dir: Path) -> tuple[str, str]:
    """The settings and urls files with the app added at their marked places."""
    settings_text = _insert_above(base_dir / SETTINGS_FILE, APPS_MARKER, f'    "{name}",\n')
    urls_text = _insert_above(
        base_dir / URLS_FILE, URLS_MARKER, f'    path("", include("{name}.urls")),\n'
    )
    return settings_text, urls_text


def _insert_above(path: Path, marker: str, line: str) -> str:
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    for index, existing in enumerate(lines):
        if existing.strip() == marker:
            return "".join([*lines[:index], line, *lines[index:]])
    raise CommandError(f"{path} has no line {marker!r}; register the app by hand.")


def _tidy(app_dir: Path) -> None:
    """Sort imports and wrap long lines of the new app, when ruff is installed."""
    if importlib.util.find_spec("ruff") is None:
        return
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--fix", "--select", "I", "--quiet"], ["format", "--quiet"]):
        subprocess.run([*ruff, *command, str(app_dir)], check=False)  # noqa: S603
    shutil.rmtree(app_dir / "__pycache__", ignore_errors=True)
