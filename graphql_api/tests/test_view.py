"""GraphiQL in development, from local files; nothing of GraphQL on the REST path."""

import re
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from graphql_api.tests.helpers import GRAPHQL_URL

pytestmark = pytest.mark.django_db


def test_graphiql_is_served_in_development_from_local_assets_only(api_client, settings):
    settings.DEBUG = True

    response = api_client.get(GRAPHQL_URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(assets) == 4
    for asset in assets:
        assert asset.startswith("/static/graphql_api/graphiql/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not shipped"
    assert "http://" not in page
    assert "https://" not in page


def test_graphiql_is_off_without_debug(api_client, settings):
    settings.DEBUG = False

    assert api_client.get(GRAPHQL_URL, HTTP_ACCEPT="text/html").status_code == 405


def test_the_rest_path_never_loads_strawberry():
    """A process serving REST (URLconf loaded, a request answered) imports no GraphQL."""
    script = textwrap.dedent(
        """
        import sys
        import django
        django.setup()
        from django.test import Client
        from django.test.utils import setup_test_environment
        setup_test_environment()
        import config.urls  # noqa: F401 - the URLconf routes /api/graphql/ too
        response = Client().get("/api/v1/items/")
        assert response.status_code == 401, response.status_code
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in
                        ("strawberry", "graphql", "graphql_api"))
        print(" ".join(loaded))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    # The app's URLconf and view only: no strawberry, no graphql-core, no schema.
    assert set(result.stdout.split()) == {
        "graphql_api", "graphql_api.apps", "graphql_api.urls", "graphql_api.views",
    }  # fmt: skip
