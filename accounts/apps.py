from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI description of our JWT authentication class.
        from accounts import (  # noqa: F401
            checks,  # noqa: F401  (registers the deployment check)
            receivers,
            schema,
        )

        receivers.connect()
