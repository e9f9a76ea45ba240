from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project package as an app, so its operator commands are found."""

    name = "config"
    verbose_name = "Keel"

    def ready(self) -> None:
        from config import checks  # noqa: F401 (registers the deployment checks)
