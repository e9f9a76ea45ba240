"""Content negotiation keeps its choices per process (config.api.negotiation): what is kept
answers only for the same Accept header, format and renderers, and stays bounded."""

import pytest

from config.api import negotiation
from config.tests.problems import assert_problem

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]

BODY = {"name": "x", "count": 1}


def echo(client, accept):
    return client.post("/api/test/echo", BODY, format="json", HTTP_ACCEPT=accept)


@pytest.fixture(autouse=True)
def _nothing_kept():
    negotiation._choices.clear()
    yield
    negotiation._choices.clear()


def test_one_header_is_chosen_for_by_each_view_from_its_own_renderers(api_client):
    # The API renders JSON only; the schema view offers YAML first, then JSON.
    api = echo(api_client, "*/*")
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="*/*")
    api_again = echo(api_client, "*/*")

    assert api["Content-Type"] == api_again["Content-Type"] == "application/json"
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi")
    assert "json" not in schema["Content-Type"]


def test_the_format_parameter_is_part_of_the_choice(api_client):
    yaml = api_client.get("/api/schema/", HTTP_ACCEPT="*/*")
    json = api_client.get("/api/schema/?format=json", HTTP_ACCEPT="*/*")

    assert "json" not in yaml["Content-Type"]
    assert json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.json()["openapi"]


def test_a_long_accept_header_is_negotiated_without_being_kept(api_client):
    accept = "application/json, " + ", ".join(f"text/x-{n}" for n in range(40))
    assert len(accept) > negotiation.MAX_KEPT_ACCEPT_LENGTH

    assert echo(api_client, accept).status_code == 200
    assert negotiation._choices == {}


def test_what_is_kept_stays_bounded_whatever_headers_clients_send(api_client, monkeypatch):
    monkeypatch.setattr(negotiation, "MAX_KEPT_CHOICES", 8)
    for n in range(13):
        response = echo(api_client, f"application/json; q=0.{n}")
        assert response.status_code == 200

    assert 0 < len(negotiation._choices) <= 8


def test_a_header_no_renderer_matches_is_refused_each_time_and_not_kept(api_client):
    for _ in range(2):
        assert_problem(echo(api_client, "text/html"), 406, "not_acceptable")
    assert negotiation._choices == {}


def test_a_format_no_renderer_has_is_not_found_each_time_and_not_kept(api_client):
    for _ in range(2):
        response = api_client.post("/api/test/echo?format=xml", BODY, format="json")
        assert_problem(response, 404, "not_found")
    assert negotiation._choices == {}
