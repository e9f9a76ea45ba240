from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "storage"
    verbose_name = "Files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import user_removing
        from config.ops.health import add_ready_check
        from resources.events import register_resource_events
        from storage.health import check_storage
        from storage.models import StoredFile
        from storage.receivers import delete_files_of_removed_user
        from storage.serializers import StoredFileSerializer

        add_ready_check("storage", check_storage)
        register_resource_events(StoredFile, name="file", serializer=StoredFileSerializer)
        user_removing.connect(delete_files_of_removed_user, dispatch_uid="storage.user_removing")
