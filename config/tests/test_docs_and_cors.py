import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served_without_authentication(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3")
    assert b"/api/v1/items/" in response.content
    assert b"Problem:" in response.content


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_pages_load_their_assets_from_this_server(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in response.content
    assert b"cdn.jsdelivr.net" not in response.content


ORIGIN = "https://app.example.com"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]


def preflight(client, path: str, method: str, headers: str):
    return client.options(
        path,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def test_cors_preflight_from_an_allowed_origin_is_answered(client, cors):
    response = preflight(client, "/api/v1/items/", "POST", "authorization, content-type")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_cors_preflight_allows_conditional_request_and_request_id_headers(client, cors):
    item = "/api/v1/items/00000000-0000-4000-8000-000000000000/"
    response = preflight(client, item, "PATCH", "if-match, if-none-match, x-request-id")
    assert response.status_code == 200
    allowed = {header.strip() for header in response["Access-Control-Allow-Headers"].split(",")}
    assert {"if-match", "if-none-match", "x-request-id"} <= allowed


def test_cors_response_exposes_the_request_id_and_etag(client, cors):
    response = client.get("/api/v1/items/", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    exposed = response["Access-Control-Expose-Headers"]
    assert "X-Request-ID" in exposed
    assert "ETag" in exposed


def test_cors_ignores_origins_not_listed(client, cors):
    response = client.get("/api/v1/items/", HTTP_ORIGIN="https://evil.example.org")
    assert "Access-Control-Allow-Origin" not in response
