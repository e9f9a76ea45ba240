from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # schema registers the OpenAPI description of our JWT authentication class,
        # checks the deployment check of password hashing.
        from accounts import checks, receivers, schema  # noqa: F401

        receivers.connect()
