from django.contrib import admin, messages

from items import services
from items.models import Item
from resources.admin import OwnedResourceAdmin


@admin.register(Item)
class ItemAdmin(OwnedResourceAdmin):
    list_display = ["title", "owner_email", "is_completed", "created_at"]
    list_filter = ["is_completed", "created_at", "completed_at"]
    search_fields = ["title", "owner__email"]
    readonly_fields = ["id", "completed_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["mark_completed"]

    @admin.action(description="Mark selected items completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        updated = services.items_mark_completed(items=queryset)
        self.message_user(request, f"Marked {updated} item(s) completed.", messages.SUCCESS)

    def create_object(self, *, owner, data):
        return services.item_create(owner=owner, **data)

    def update_object(self, *, instance, data):
        return services.item_update(item=instance, data=data)

    def delete_object(self, *, instance):
        services.item_delete(item=instance)
