"""Every request gets an id: the caller's when it is sane, a fresh one otherwise."""

import re
import uuid
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from config.ops.logging import bind_request, unbind_request

REQUEST_ID_HEADER = "X-Request-ID"
# Accepting a caller's id lets a trace span services; bounding it keeps log lines
# and headers free of injected newlines, markup or megabytes.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class IdentifiedRequest(HttpRequest):
    """A request this middleware has seen: it carries its id (for type checkers)."""

    request_id: str


class RequestIdMiddleware:
    """Bind the request id to every log line of the request and echo it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _incoming_request_id(request) or uuid.uuid4().hex
        cast(IdentifiedRequest, request).request_id = request_id
        tokens = bind_request(request_id)
        if settings.SENTRY_DSN:
            _sentry_tag(request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            unbind_request(tokens)


def _sentry_tag(request_id: str) -> None:
    # Imported only where Sentry reports: the SDK is about 10 MB of each worker.
    import sentry_sdk

    sentry_sdk.set_tag("request_id", request_id)


def _incoming_request_id(request: HttpRequest) -> str | None:
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    return candidate if SANE_REQUEST_ID.fullmatch(candidate) else None
