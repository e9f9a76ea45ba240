from django.db.models import Q

from config.api.filters import OrderingFilter, SearchFilter
from items.models import Item
from resources.filters import OwnedResourceFilter


class ItemFilter(OwnedResourceFilter):
    search = SearchFilter(method="filter_search", max_length=200)
    ordering = OrderingFilter(fields=["created_at", "updated_at", "title"])

    class Meta:
        model = Item
        fields = ["is_completed", "created_after", "created_before", "owner", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
