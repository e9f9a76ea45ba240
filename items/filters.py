from django.db.models import Q
from django_filters import rest_framework as filters

from config.filters import FilterSet
from items.models import Item


class ItemFilter(FilterSet):
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    owner = filters.UUIDFilter(field_name="owner_id")
    search = filters.CharFilter(method="filter_search", max_length=200)
    ordering = filters.OrderingFilter(fields=["created_at", "updated_at", "title"])

    class Meta:
        model = Item
        fields = ["is_completed", "created_after", "created_before", "owner", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
