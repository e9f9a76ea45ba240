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
