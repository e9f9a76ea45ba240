import logging
import re
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus

import sentry_sdk
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from config.errors import PROBLEM_CONTENT_TYPE, problem_json_response
from config.logging import bind_request, bind_user, unbind_request

access_logger = logging.getLogger("keel.access")

REQUEST_ID_HEADER = "X-Request-ID"
# Accepting a caller's id lets a trace span services; bounding it keeps log lines
# and headers free of injected newlines, markup or megabytes.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# URL parameters that are credentials (share-link tokens): never written to the logs.
SECRET_URL_PARAMETERS = frozenset({"token"})


class RequestIdMiddleware:
    """Give every request an id, echo it, log it, and write one access-log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _incoming_request_id(request) or uuid.uuid4().hex
        request.request_id = request_id
        tokens = bind_request(request_id)
        if settings.SENTRY_DSN:
            sentry_sdk.set_tag("request_id", request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            _log_access(request, response, started)
            return response
        finally:
            unbind_request(tokens)


def _incoming_request_id(request: HttpRequest) -> str | None:
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    return candidate if SANE_REQUEST_ID.fullmatch(candidate) else None


def _log_access(request: HttpRequest, response: HttpResponse, started: float) -> None:
    user = getattr(request, "user", None)
    user_id = str(user.pk) if user is not None and user.is_authenticated else None
    bind_user(user_id)
    access_logger.info(
        "request",
        extra={
            "method": request.method,
            "path": _loggable_path(request),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )


def _loggable_path(request: HttpRequest) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_URL_PARAMETERS & match.kwargs.keys():
            path = path.replace(str(match.kwargs[name]), "[redacted]")
    return path


class ApiProblemMiddleware:
    """Under ``/api/``, replace Django's HTML error pages with problem documents.

    DRF formats errors raised in its views. Django answers some requests before or
    after DRF runs (an unknown route, a crash in a view, a CSRF failure, the debug
    pages), and an API client must never receive HTML.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
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


class ProbeMiddleware:
    """Answer the health and metrics probes before any other middleware runs.

    Load balancers, container runtimes and Prometheus call these with their own Host
    header (an IP, 127.0.0.1) over plain HTTP; the host validation and HTTPS redirect
    further down must not turn a healthy instance into a failing probe.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        from config import health, metrics

        self.probes = {
            "/health/live": health.live,
            "/health/ready": health.ready,
            "/metrics": metrics.metrics,
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.probes.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
