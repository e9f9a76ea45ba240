from django_filters import rest_framework as filters

from config.api.filters import OrderingFilter, SearchFilter
from resources.filters import OwnedResourceFilter
from storage.models import StoredFile


class StoredFileFilter(OwnedResourceFilter):
    content_type = filters.CharFilter(max_length=100)
    search = SearchFilter(field_name="filename", lookup_expr="icontains", max_length=200)
    ordering = OrderingFilter(fields=["created_at", "size", "filename"])

    class Meta:
        model = StoredFile
        fields = ["content_type", "search", "owner", "created_after", "created_before"]
