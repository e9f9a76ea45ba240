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


LISTS = ["/api/v1/items/", "/api/v1/files/", "/api/v1/users/", "/api/v1/auth/api-keys/"]


def test_schema_documents_the_cursor_errors_of_every_list_and_no_page_404(api_client):
    operations = schema_operations(api_client)

    for path in LISTS:
        responses = operations[(path, "get")]["responses"]
        for code in ("cursor_invalid", "cursor_user_mismatch", "page_not_supported"):
            assert code in responses["400"]["description"], (path, code)
        assert "404" not in responses, path


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


def test_schema_documents_cursor_page_size_and_count_on_every_list_and_no_page(api_client):
    operations = schema_operations(api_client)

    for path in LISTS:
        parameters = {p["name"]: p for p in operations[(path, "get")]["parameters"]}
        assert parameters["cursor"]["schema"] == {"type": "string"}, path
        assert parameters["page_size"]["schema"]["minimum"] == 1, path
        assert "capped at 100" in parameters["page_size"]["description"]
        assert parameters["count"]["schema"] == {"type": "boolean"}, path
        assert "page" not in parameters, path


def test_schema_says_count_next_and_previous_are_always_there_and_may_be_null(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for name in ("PaginatedItemList", "PaginatedStoredFileList", "PaginatedApiKeyList"):
        page = schema["components"]["schemas"][name]
        assert page["required"] == ["count", "next", "previous", "results"], name
        for member in ("count", "next", "previous"):
            assert page["properties"][member]["nullable"] is True, (name, member)


def test_schema_offers_one_ordering_field_at_a_time(api_client):
    operations = schema_operations(api_client)

    parameters = {p["name"]: p for p in operations[("/api/v1/items/", "get")]["parameters"]}
    assert parameters["ordering"]["schema"] == {
        "type": "string",
        "enum": ["-created_at", "-title", "-updated_at", "created_at", "title", "updated_at"],
    }


def test_schema_documents_the_password_that_deleting_your_account_asks_for(api_client):
    operations = schema_operations(api_client)

    body = operations[("/api/v1/auth/me/", "delete")]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/UserDeleteRequest"}
    # A DELETE that reads no body documents none.
    assert "requestBody" not in operations[("/api/v1/items/{id}/", "delete")]
