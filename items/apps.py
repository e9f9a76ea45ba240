from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"
    verbose_name = "Items"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from items.models import Item
        from items.serializers import ItemSerializer
        from resources.events import register_resource_events

        register_resource_events(Item, name="item", serializer=ItemSerializer)
