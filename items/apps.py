from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "items"
    verbose_name = "Items"
    default_auto_field = "django.db.models.BigAutoField"
