"""The FilterSet base of owned resources."""

from django_filters import rest_framework as filters

from config.api.filters import FilterSet, IsoDateTimeFilter


class OwnedResourceFilter(FilterSet):
    """``?owner=`` (staff reading everyone's rows) and ``?created_after=``/``?created_before=``.

    Members only ever see their own rows, so ``owner`` only narrows what staff see; the
    model's indexes lead with ``owner`` and serve every filter and ordering offered.
    """

    owner = filters.UUIDFilter(field_name="owner_id")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
