import pytest

from config.tests.problems import assert_problem

pytestmark = [pytest.mark.urls("config.tests.urls"), pytest.mark.django_db]


def test_application_error_uses_its_status_code_and_detail(api_client):
    body = assert_problem(api_client.get("/api/test/application"), 413, "quota_exceeded")
    assert body["title"] == "Request Entity Too Large"
    assert body["detail"] == "You have used all of your storage."
    assert body["errors"] == []


def test_django_validation_error_maps_fields_to_attr(api_client):
    body = assert_problem(api_client.get("/api/test/django-validation"), 400, "validation_error")
    assert body["errors"] == [{"attr": "email", "code": "unique", "detail": "Taken."}]
    assert body["detail"] == "Taken."


def test_django_validation_error_without_field_has_null_attr(api_client):
    response = api_client.get("/api/test/django-validation-plain")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [{"attr": None, "code": "broken", "detail": "Broken."}]


def test_django_permission_denied_is_403_problem(api_client):
    assert_problem(api_client.get("/api/test/django-permission"), 403, "permission_denied")


def test_django_http404_is_404_problem(api_client):
    assert_problem(api_client.get("/api/test/django-404"), 404, "not_found")


def test_serializer_errors_are_flattened_with_nested_paths(api_client):
    response = api_client.post(
        "/api/test/echo",
        {"count": -1, "children": [{"title": "ok"}, {"title": "far too long"}]},
        format="json",
    )
    body = assert_problem(response, 400, "validation_error")
    assert body["detail"] == "The input is not valid."
    assert {(error["attr"], error["code"]) for error in body["errors"]} == {
        ("name", "required"),
        ("count", "min_value"),
        ("children.1.title", "max_length"),
    }


def test_valid_input_passes_through(api_client):
    response = api_client.post("/api/test/echo", {"name": "a", "count": 1}, format="json")
    assert response.status_code == 200
    assert response.json() == {"name": "a", "count": 1}


def test_malformed_json_is_parse_error(api_client):
    response = api_client.post("/api/test/echo", data='{"name": ', content_type="application/json")
    assert_problem(response, 400, "parse_error")


def test_wrong_content_type_is_415(api_client):
    response = api_client.post("/api/test/echo", data="name=a", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


def test_method_not_allowed_is_405(api_client):
    assert_problem(api_client.delete("/api/test/echo"), 405, "method_not_allowed")


def test_non_json_accept_header_is_406(api_client):
    response = api_client.get("/api/test/django-404", HTTP_ACCEPT="text/html")
    assert_problem(response, 406, "not_acceptable")


def test_body_over_limit_is_413_before_parsing(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api_client.post("/api/test/echo", {"name": "x" * 200, "count": 1}, format="json")
    assert_problem(response, 413, "payload_too_large")


def test_throttled_request_is_429_with_retry_after(api_client):
    assert api_client.get("/api/test/throttled").status_code == 200
    response = api_client.get("/api/test/throttled")
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_missing_credentials_are_401_with_www_authenticate(api_client):
    response = api_client.get("/api/test/protected")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_is_401_token_not_valid(api_client):
    response = api_client.get("/api/test/protected", HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_problem(response, 401, "token_not_valid")


def test_valid_token_is_accepted(auth_client, user):
    response = auth_client.get("/api/test/protected")
    assert response.status_code == 200
    assert response.json() == {"user": str(user.pk)}


def test_unknown_api_route_is_404_problem(api_client):
    assert_problem(api_client.get("/api/v1/nothing-here/"), 404, "not_found")


def test_unknown_api_route_is_problem_even_in_debug(api_client, settings):
    settings.DEBUG = True
    assert_problem(api_client.get("/api/v1/nothing-here/"), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/test/drf-crash", "/api/test/plain-crash"])
def test_unexpected_exception_is_generic_500_and_logged(api_client, caplog, path):
    response = api_client.get(path)
    body = assert_problem(response, 500, "internal_error")
    assert "boom" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["detail"].startswith("An unexpected error occurred")
    crash_logs = [record for record in caplog.records if record.exc_info]
    assert crash_logs
    assert crash_logs[0].request_id == response["X-Request-ID"]


def test_unexpected_exception_in_debug_is_still_a_problem(api_client, settings):
    settings.DEBUG = True
    response = api_client.get("/api/test/plain-crash")
    assert_problem(response, 500, "internal_error")


def test_pages_outside_api_keep_django_html_errors(client):
    response = client.get("/not-an-api-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_error_from_an_html_rendering_view_is_still_problem_json(api_client):
    # The Swagger UI view renders HTML; its errors must not.
    response = api_client.post("/api/docs/")
    assert_problem(response, 405, "method_not_allowed")


def test_deeply_nested_json_is_a_parse_error_not_a_crash(api_client):
    # json.loads gives up on deep nesting with RecursionError, not ValueError.
    response = api_client.post(
        "/api/test/echo", data="[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert_problem(response, 400, "parse_error")
