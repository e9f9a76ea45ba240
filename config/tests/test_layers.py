"""Imports point down: config <- accounts <- resources <- items, storage, generated apps
<- interfaces over them all (graphql_api)."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

BASE_DIR = Path(__file__).resolve().parents[2]
# A package may import the layers below its own, never one above or beside it.
LOWER_LAYERS = {
    "config": set(),
    "accounts": {"config"},
    "resources": {"config", "accounts"},
}
# Interfaces over the resources, on top of everything: no app imports them.
TOP_LAYERS = {"graphql_api"}
OWN_PACKAGES = {*LOWER_LAYERS}


def project_apps() -> list[str]:
    """Every installed app whose package is a folder of this repository."""
    return [
        config.name
        for config in apps.get_app_configs()
        if "." not in config.name and (BASE_DIR / config.name).is_dir()
    ]


def allowed_imports(package: str) -> set[str]:
    if package in TOP_LAYERS:
        return set(project_apps()) - TOP_LAYERS
    # items, storage and every generated app: they may use the three below.
    return LOWER_LAYERS.get(package, set(LOWER_LAYERS))


def imported_project_packages(path: Path, packages: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & packages
    return found


def app_code(package: str) -> list[Path]:
    """The package's modules, tests and migrations excepted (tests may import anything)."""
    return [
        path
        for path in (BASE_DIR / package).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


@pytest.mark.parametrize("package", project_apps())
def test_package_imports_only_the_layers_below_it(package):
    packages = OWN_PACKAGES | set(project_apps())
    wrong = {
        str(path.relative_to(BASE_DIR)): sorted(upward)
        for path in app_code(package)
        if (
            upward := imported_project_packages(path, packages)
            - {package}
            - allowed_imports(package)
        )
    }
    assert wrong == {}


def test_layer_check_sees_the_apps_on_top():
    assert {"items", "storage"} <= set(project_apps()) - OWN_PACKAGES
