"""OPTIONS on every route of the API answers, never 500 (DRF metadata of every view)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def api_paths(client) -> list[str]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    example_id = "00000000-0000-4000-8000-000000000000"
    return [re.sub(r"\{[^}]+\}", example_id, path) for path in schema["paths"]]


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
def test_options_on_every_api_route_is_never_a_server_error(
    api_client, client_for, user, staff_user, who
):
    client = {
        "anonymous": api_client,
        "member": client_for(user),
        "staff": client_for(staff_user),
    }[who]
    paths = api_paths(api_client)
    assert "/api/v1/auth/logout/everywhere/" in paths

    answers = {path: client.options(path).status_code for path in paths}

    assert {path: status for path, status in answers.items() if status >= 500} == {}
    assert answers["/api/v1/auth/logout/everywhere/"] == (401 if who == "anonymous" else 200)
