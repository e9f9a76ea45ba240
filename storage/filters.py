from django_filters import rest_framework as filters

from config.filters import FilterSet
from storage.models import StoredFile


class StoredFileFilter(FilterSet):
    content_type = filters.CharFilter(max_length=100)
    search = filters.CharFilter(field_name="filename", lookup_expr="icontains", max_length=200)
    owner = filters.UUIDFilter(field_name="owner_id")
    ordering = filters.OrderingFilter(fields=["created_at", "size", "filename"])

    class Meta:
        model = StoredFile
        fields = ["content_type", "search", "owner"]
