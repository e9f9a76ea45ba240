"""One ``keel.access`` line per request: method, path, status, duration, client, instance."""

import logging
import socket
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

from config.ops.logging import bind_user

access_logger = logging.getLogger("keel.access")

# URL parameters that are credentials (share-link tokens): never written to the logs.
SECRET_URL_PARAMETERS = frozenset({"token"})
# The machine, container or pod that answered, so one request can be followed across
# instances behind a load balancer.
INSTANCE = socket.gethostname()
# The client as the throttles see it: NUM_PROXIES hops from the right of X-Forwarded-For.
_client_of = BaseThrottle().get_ident


class AccessLogMiddleware:
    """Log each request once it has its final response (inside ``RequestIdMiddleware``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        _log_access(request, response, started)
        return response


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
            # get_ident reads only headers and META, which a Django request has; the
            # stubs ask for DRF's Request, which this middleware, outside DRF, never has.
            "client_ip": _client_of(request),  # type: ignore[arg-type]
            "instance": INSTANCE,
        },
    )


def _loggable_path(request: HttpRequest) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_URL_PARAMETERS & match.kwargs.keys():
            path = path.replace(str(match.kwargs[name]), "[redacted]")
    return path
