"""The output serializer base of owned resources."""

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any, cast

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

    @classmethod
    def output_plan(cls) -> tuple[tuple[str, Any, str], ...]:
        """``(name, how, attribute)`` per output field, worked out once per class.

        Building a serializer's fields (``ModelSerializer.get_fields``) costs more than
        rendering a page of rows, so the plan comes from one prototype and is kept;
        ``how`` is a converter, ``_TIMESTAMP``, or ``_DRF`` for fields DRF must render.
        A serializer whose fields change per request must not use this class.
        """
        plan = _plans.get(cls)
        if plan is None:
            plan = _plans[cls] = tuple(_plan_entry(field) for field in cls()._readable_fields)
        return plan

    @cached_property
    def _zone(self) -> tzinfo:
        # Looked up once per serializer (a list uses one child for all its rows).
        return timezone.get_current_timezone()

    def to_representation(self, instance) -> dict[str, Any]:
        row = {}
        for name, how, attribute in self.output_plan():
            if how is _DRF:
                row[name] = _drf_value(self.fields[name], instance)
            elif how is _TIMESTAMP:
                row[name] = iso_timestamp(getattr(instance, attribute), self._zone)
            else:
                value = getattr(instance, attribute)
                row[name] = None if value is None else how(value)
        return row


_DRF = object()
_TIMESTAMP = object()
_plans: dict[type, tuple[tuple[str, Any, str], ...]] = {}


def _plan_entry(field: serializers.Field) -> tuple[str, Any, str]:
    kind = type(field)
    name = cast(str, field.field_name)  # bound to the prototype serializer: named
    attribute = field.source_attrs[0] if len(field.source_attrs) == 1 else ""
    if not attribute or kind not in _PLAIN_KINDS:
        return name, _DRF, attribute
    if kind is serializers.DateTimeField:
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        plain = output_format == ISO_8601 and not hasattr(field, "timezone")
        return name, _TIMESTAMP if plain else _DRF, attribute
    # The class is one of _PLAIN_KINDS here: isinstance means exactly UUIDField.
    if isinstance(field, serializers.UUIDField) and field.uuid_format != "hex_verbose":
        return name, _DRF, attribute
    return name, _PLAIN_KINDS[kind], attribute


def _drf_value(field: serializers.Field, instance) -> Any:
    value = field.get_attribute(instance)
    return None if value is None else field.to_representation(value)


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
    serializers.DateTimeField: str,  # written by iso_timestamp, see _plan_entry
}
