from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    """The kit as an app, so ``manage.py startresource`` is found."""

    name = "resources"
    verbose_name = "Owned-resource kit"

    def ready(self) -> None:
        from resources import response_cache

        response_cache.connect_owned_models()
