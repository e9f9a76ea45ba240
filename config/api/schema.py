"""OpenAPI: document the problem-details error format on every operation."""

from typing import Any

from drf_spectacular import openapi

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document; every API error has this shape.",
    "properties": {
        "type": {"type": "string", "description": "URI naming the problem type."},
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, for a human."},
        "code": {
            "type": "string",
            "description": "Stable, machine-readable snake_case error code.",
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "attr": {
                        "type": "string",
                        "nullable": True,
                        "description": "Path of the offending field, or null.",
                    },
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
                "required": ["attr", "code", "detail"],
            },
        },
        "request_id": {"type": "string", "nullable": True},
        "challenge": {
            "type": "string",
            "description": "Only with `mfa_required`: what `POST /api/v1/auth/login/mfa/` "
            "takes with a code.",
        },
    },
    "required": ["type", "title", "status", "detail", "code", "errors", "request_id"],
}

_ALWAYS = {
    "400": "Invalid input (`validation_error` with per-field `errors`) or a malformed request.",
    "406": "The `Accept` header asks for something other than JSON.",
    "429": "Throttled; see `Retry-After`.",
    "500": "Unexpected server error (`internal_error`).",
    "503": "A backing service is down or too slow (`database_unavailable`, "
    "`cache_unavailable`, `storage_unavailable`); see `Retry-After`.",
}
_AUTHENTICATED = {
    "401": "Missing, expired or invalid credentials.",
    "403": "Authenticated, but not allowed to do this.",
}
_WITH_PATH_PARAMETERS = {"404": "No such resource, or not yours."}
_PAGINATED = {
    "400": "Invalid input (`validation_error` with per-field `errors`: a filter, `page_size` "
    "or `count`), a `cursor` that is not this list's, yours and this ordering's "
    "(`cursor_invalid`, `cursor_list_mismatch`, `cursor_user_mismatch`, "
    "`cursor_ordering_mismatch`), or `?page=` (`page_not_supported`: lists page by cursor).",
}
_WITH_IF_MATCH = {"412": "`If-Match` did not match the current ETag (`precondition_failed`)."}
_WITH_BODY = {
    "413": "The request body is too large.",
    "415": "The body's content type is not accepted here.",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the body of a DELETE that reads one.

    drf-spectacular documents bodies of PUT, PATCH and POST only; a DELETE that asks for
    something (deleting your account asks for your password) names its serializer with
    ``extend_schema(request=SomeSerializer)``, and that body is documented as required.
    """

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        # Without extend_schema, drf-spectacular offers the view's serializer *instance*.
        if not isinstance(self.get_request_serializer(), type):
            return None
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


def add_problem_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular post-processing hook: add the error responses to each operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in _error_statuses(operation).items():
                responses.setdefault(status, {"description": description, "content": problem})
            # Errors a view documents itself (a public endpoint's 401) get the body too.
            for status, response in responses.items():
                if status >= "400" and "content" not in response:
                    response["content"] = problem
    return result


def _error_statuses(operation: dict) -> dict[str, str]:
    statuses = dict(_ALWAYS)
    if {} not in operation.get("security", [{}]):
        statuses |= _AUTHENTICATED
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
        statuses |= _WITH_PATH_PARAMETERS
    if any(parameter.get("name") == "cursor" for parameter in operation.get("parameters", [])):
        statuses |= _PAGINATED
    if "requestBody" in operation:
        statuses |= _WITH_BODY
    if any(parameter.get("name") == "If-Match" for parameter in operation.get("parameters", [])):
        statuses |= _WITH_IF_MATCH
    return statuses
