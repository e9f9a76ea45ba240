import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def _operations(schema: dict):
    for path, path_item in schema["paths"].items():
        for method, operation in path_item.items():
            yield path, method, operation


def test_schema_command_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")
    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3")


@pytest.mark.urls("config.tests.urls")
def test_every_operation_documents_problem_responses():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = list(_operations(schema))
    assert operations
    for path, method, operation in operations:
        responses = operation["responses"]
        for status in ("400", "406", "429", "500"):
            content = responses[status]["content"]
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (path, method, status)
    assert "Problem" in schema["components"]["schemas"]


@pytest.mark.urls("config.tests.urls")
def test_authenticated_operations_document_401_and_bodies_document_413_415():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    protected = schema["paths"]["/api/test/protected"]["get"]["responses"]
    open_view = schema["paths"]["/api/test/throttled"]["get"]["responses"]
    echo = schema["paths"]["/api/test/echo"]["post"]["responses"]
    assert "401" in protected
    assert "401" not in open_view
    assert {"413", "415"} <= set(echo)
    assert "413" not in protected


def schema_operations(api_client) -> dict[tuple[str, str], dict]:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    return {
        (path, method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_schema_documents_503_with_a_problem_body_on_every_operation(api_client):
    operations = schema_operations(api_client)

    missing = [key for key, operation in operations.items() if "503" not in operation["responses"]]

    assert missing == []


def test_schema_documents_404_for_a_page_past_the_end_of_every_list(api_client):
    operations = schema_operations(api_client)

    lists = [("/api/v1/items/", "get"), ("/api/v1/files/", "get"), ("/api/v1/users/", "get")]
    for key in lists:
        assert "404" in operations[key]["responses"], key


def test_schema_documents_401_on_the_public_endpoints_that_answer_it(api_client):
    operations = schema_operations(api_client)

    for path in ("/api/v1/auth/login/", "/api/v1/auth/token/refresh/", "/api/v1/auth/logout/"):
        response = operations[(path, "post")]["responses"]["401"]
        assert response["content"]["application/problem+json"], path


def test_schema_documents_304_on_conditional_reads(api_client):
    operations = schema_operations(api_client)

    for path in ("/api/v1/items/{id}/", "/api/v1/files/{id}/"):
        response = operations[(path, "get")]["responses"]["304"]
        assert "content" not in response, path


def test_schema_says_pages_and_page_sizes_start_at_one(api_client):
    operations = schema_operations(api_client)

    for path in ("/api/v1/items/", "/api/v1/files/", "/api/v1/users/"):
        parameters = {p["name"]: p for p in operations[(path, "get")]["parameters"]}
        assert parameters["page"]["schema"]["minimum"] == 1, path
        assert parameters["page_size"]["schema"]["minimum"] == 1, path
        assert "capped at 100" in parameters["page_size"]["description"]


def test_schema_documents_the_password_that_deleting_your_account_asks_for(api_client):
    operations = schema_operations(api_client)

    body = operations[("/api/v1/auth/me/", "delete")]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/UserDeleteRequest"}
    # A DELETE that reads no body documents none.
    assert "requestBody" not in operations[("/api/v1/items/{id}/", "delete")]
