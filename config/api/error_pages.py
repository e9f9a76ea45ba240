"""Django's own error pages: problem documents under ``/api/``, 503 for a dependency down."""

import sys
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from config.api.errors import PROBLEM_CONTENT_TYPE, problem_json_response
from config.ops.dependencies import as_dependency_error, report_unavailable


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``: a backing service down is its 503, anything else a 500.

    DRF's exception handler maps errors raised in API views; this catches the rest (the
    admin, middleware, plain Django views). Django calls it while handling the
    exception, so ``sys.exc_info()`` holds it.
    """
    error = sys.exc_info()[1]
    if error is None or (unavailable := as_dependency_error(error)) is None:
        return defaults.server_error(request)
    report_unavailable(unavailable, error)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = problem_json_response(
            status=503, code=unavailable.code, detail=unavailable.detail
        )
    else:
        response = HttpResponse(f"{unavailable.detail}\n", status=503, content_type="text/plain")
    response["Retry-After"] = str(unavailable.retry_after)
    return response


class ApiProblemMiddleware:
    """Replace any non-JSON error response under ``/api/`` with a problem document.

    DRF formats errors raised in its views. Django answers some requests before or
    after DRF runs (an unknown route, a crash in a view, a CSRF failure, the debug
    pages), and an API client must never receive HTML.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and not _is_json(response)
        ):
            return _problem_for_status(response.status_code)
        return response


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "")
    return content_type.startswith((PROBLEM_CONTENT_TYPE, "application/json"))


_CODES_BY_STATUS = {
    400: ("bad_request", "The request could not be understood."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "No resource exists at this address."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("payload_too_large", "The request body is larger than this endpoint accepts."),
}


def _problem_for_status(status: int) -> HttpResponse:
    if status >= 500:
        code, detail = "internal_error", "An unexpected error occurred; it has been logged."
    else:
        code, detail = _CODES_BY_STATUS.get(status, ("error", HTTPStatus(status).phrase))
    return problem_json_response(status=status, code=code, detail=detail)
