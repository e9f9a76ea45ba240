from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project package as an app, so its operator commands are found."""

    name = "config"
    verbose_name = "Keel"

    def ready(self) -> None:
        from config import checks  # noqa: F401 (registers the deployment checks)
        from config.ops.health import add_ready_check
        from config.ops.replicas import replica_aliases, replica_ready_check

        for alias in replica_aliases():
            add_ready_check(alias, replica_ready_check(alias))
