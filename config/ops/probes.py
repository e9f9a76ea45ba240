"""Health and metrics probes, answered before host validation and the HTTPS redirect."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.ops import health, metrics


class ProbeMiddleware:
    """Answer ``/health/live``, ``/health/ready`` and ``/metrics`` before other middleware.

    Load balancers, container runtimes and Prometheus call these with their own Host
    header (an IP, 127.0.0.1) over plain HTTP; the host validation and HTTPS redirect
    further down must not turn a healthy instance into a failing probe.
    """

    probes: dict[str, Callable[[HttpRequest], HttpResponse]] = {
        "/health/live": health.live,
        "/health/ready": health.ready,
        "/metrics": metrics.metrics,
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.probes.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
