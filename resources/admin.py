"""The admin base of owned resources: the owner shown by email and fixed at creation."""

from django.contrib import admin


class OwnedResourceAdmin(admin.ModelAdmin):
    """Writes go through the app's services: implement ``create_object``/``update_object``.

    The form has already applied its changes to ``obj`` when ``save_model`` runs; the
    service receives the stored row and only the changed fields, so rules that compare
    old and new values (``completed_at`` following ``is_completed``) hold here too.
    """

    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    search_fields = ["owner__email"]

    @admin.display(description="owner", ordering="owner__email")
    def owner_email(self, obj) -> str:
        return obj.owner.email

    def get_readonly_fields(self, request, obj=None):
        # Ownership is set at creation; moving an object to another user is not an edit.
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "owner"] if obj is not None and "owner" not in readonly else readonly

    def save_model(self, request, obj, form, change):
        if change:
            stored = self.model._base_manager.get(pk=obj.pk)
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            self.update_object(instance=stored, data=data)
        else:
            data = {name: value for name, value in form.cleaned_data.items() if name != "owner"}
            obj.pk = self.create_object(owner=form.cleaned_data["owner"], data=data).pk

    def delete_model(self, request, obj):
        self.delete_object(instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_object(instance=obj)

    def create_object(self, *, owner, data: dict):
        raise NotImplementedError

    def update_object(self, *, instance, data: dict):
        raise NotImplementedError

    def delete_object(self, *, instance) -> None:
        raise NotImplementedError
