from django.contrib import admin, messages

from items import services
from items.models import Item


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["title", "owner_email", "is_completed", "created_at"]
    list_filter = ["is_completed", "created_at", "completed_at"]
    search_fields = ["title", "owner__email"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["id", "completed_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["mark_completed"]

    @admin.display(description="owner", ordering="owner__email")
    def owner_email(self, item: Item) -> str:
        return item.owner.email

    @admin.action(description="Mark selected items completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        updated = services.items_mark_completed(items=queryset)
        self.message_user(request, f"Marked {updated} item(s) completed.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        # Writes go through the service so completed_at follows is_completed here too.
        # The form has already changed ``obj``; the service compares against the stored row.
        if change:
            stored = Item.objects.get(pk=obj.pk)
            data = {field: form.cleaned_data[field] for field in form.changed_data}
            services.item_update(item=stored, data=data)
        else:
            created = services.item_create(
                owner=form.cleaned_data["owner"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data.get("description", ""),
                is_completed=form.cleaned_data.get("is_completed", False),
            )
            obj.pk = created.pk

    def get_readonly_fields(self, request, obj=None):
        # Ownership is set at creation; moving an item to another user is not an edit.
        return [*self.readonly_fields, "owner"] if obj else self.readonly_fields

    def delete_model(self, request, obj):
        services.item_delete(item=obj)
