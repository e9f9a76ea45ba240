"""Deployment check (``manage.py check --deploy``) of live updates."""

from typing import Any

from channels.layers import InMemoryChannelLayer
from django.conf import settings
from django.core.checks import CheckMessage, Warning, register
from django.utils.module_loading import import_string


@register("realtime", deploy=True)
def events_need_a_shared_channel_layer(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    backend = import_string(settings.CHANNEL_LAYERS["default"]["BACKEND"])
    if not issubclass(backend, InMemoryChannelLayer):
        return []
    return [
        Warning(
            "Live updates use the in-process channel layer: events of writes made by "
            "gunicorn never reach the sockets the realtime process holds.",
            hint="Set REALTIME_REDIS_URL (or REDIS_URL) to the Redis every instance shares.",
            id="realtime.W001",
        )
    ]
