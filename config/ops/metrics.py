"""Prometheus metrics at /metrics (django-prometheus), for internal scrapers only."""

import hmac
import ipaddress
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django_prometheus.cache.metrics import (
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from django_prometheus.exports import ExportToDjangoView

from config.ops.cache import RedisCache

_MISSING = object()


def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        raise Http404
    if not _may_scrape(request):
        return HttpResponseForbidden(
            "Metrics are for internal scrapers.\n", content_type="text/plain"
        )
    return ExportToDjangoView(request)


def _may_scrape(request: HttpRequest) -> bool:
    """With METRICS_TOKEN: that bearer token; without: a client in METRICS_ALLOWED_NETWORKS."""
    if settings.METRICS_TOKEN:
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(presented.encode(), settings.METRICS_TOKEN.encode())
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


class InstrumentedRedisCache(RedisCache):
    """Our Redis cache (config.ops.cache), counting gets, hits and misses for Prometheus.

    django-prometheus's Redis wrappers need django-redis; this keeps the built-in backend.
    """

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        django_cache_get_total.labels(backend="redis").inc()
        value = super().get(key, _MISSING, version)
        if value is _MISSING:
            django_cache_misses_total.labels(backend="redis").inc()
            return default
        django_cache_hits_total.labels(backend="redis").inc()
        return value
