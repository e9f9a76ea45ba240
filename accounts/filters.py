from django.db.models import Q
from django_filters import rest_framework as filters

from accounts.models import User
from config.api.filters import BooleanFilter, FilterSet, OrderingFilter, SearchFilter


class UserFilter(FilterSet):
    email_verified = BooleanFilter(
        field_name="email_verified_at", lookup_expr="isnull", exclude=True
    )
    group = filters.CharFilter(field_name="groups__name")
    search = SearchFilter(method="filter_search", max_length=200)
    ordering = OrderingFilter(fields=["email", "date_joined", "last_login"])

    class Meta:
        model = User
        fields = ["is_active", "is_staff", "is_superuser", "email_verified", "group", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(email__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
        )
