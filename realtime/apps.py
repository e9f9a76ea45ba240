from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """Live updates: the WebSocket events of /ws/v1/events/ and their publishing."""

    name = "realtime"
    verbose_name = "Live updates"

    def ready(self) -> None:
        from realtime import checks  # noqa: F401  (registers the deployment check)
        from realtime.events import resource_event_publish
        from resources.events import resource_committed

        resource_committed.connect(resource_event_publish, dispatch_uid="realtime.publish")
