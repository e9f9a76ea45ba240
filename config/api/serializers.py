"""The base of every request-body serializer: a JSON value must have its field's JSON type."""

import copy
from typing import Any, cast

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

# (field class, the JSON types it takes, what the error says); the first match decides.
# DRF would coerce instead ("title": 0 becomes "0", "is_completed": 0 becomes false),
# accepting bodies the schema refuses and hiding the client's bug.
_JSON_TYPES: list[tuple[type[serializers.Field], tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "Must be true or false."),
    (serializers.CharField, (str,), "Must be a string."),
    (serializers.IntegerField, (int,), "Must be an integer."),
]

# Fields whose whole state is set by their constructor and only read after it: no child
# field bound to them, no queryset. Exact classes, as a subclass may keep more.
_COPIED_SHALLOW = frozenset(
    {
        serializers.BooleanField,
        serializers.CharField,
        serializers.ChoiceField,
        serializers.DateField,
        serializers.DateTimeField,
        serializers.DecimalField,
        serializers.EmailField,
        serializers.FloatField,
        serializers.IntegerField,
        serializers.UUIDField,
    }
)


class InputSerializer(serializers.Serializer):
    """What a client sends. A JSON body's values are checked for type before DRF parses them.

    Form and multipart bodies carry only strings and files, so they are left to DRF.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        """The declared fields, for this serializer to bind.

        DRF deep-copies each one, which builds it again (``Field.__deepcopy__`` calls its
        constructor, and so makes its validators again): 30 us of the 47 us an item's
        create body took to validate (measured). A plain field is copied as it is instead:
        binding then sets the copy's own name and parent, and nothing changes what the
        copies share (their validators and messages) after construction.
        """
        return {
            name: _shallow_copy(field) if type(field) in _COPIED_SHALLOW else copy.deepcopy(field)
            for name, field in self._declared_fields.items()
        }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        type_errors = self._json_type_errors(data)
        if not type_errors:
            return super().to_internal_value(data)
        # The other fields are still checked, so one answer lists every mistake.
        others = {name: value for name, value in data.items() if name not in type_errors}
        try:
            super().to_internal_value(others)
        except ValidationError as error:
            # Serializer.to_internal_value reports by field name: a dict, never a list.
            field_errors = cast(dict[str, Any], error.detail)
            raise ValidationError(field_errors | type_errors) from None
        raise ValidationError(type_errors)

    def _json_type_errors(self, data: Any) -> dict[str, list[ErrorDetail]]:
        if not isinstance(data, dict) or isinstance(data, QueryDict):
            return {}
        return {
            name: [ErrorDetail(message, code="invalid")]
            for name, field in self.fields.items()
            if not field.read_only
            and name in data
            and (message := _json_type_error(field, data[name]))
        }


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    # What copy.copy does, in a quarter of its time: Field.__new__ only records the
    # constructor's arguments, which the copied __dict__ holds.
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


def _json_type_error(field: serializers.Field, value: object) -> str | None:
    if value is None:
        return None  # DRF's allow_null decides
    for field_class, json_types, message in _JSON_TYPES:
        if isinstance(field, field_class):
            # bool is an int in Python, never in JSON.
            wrong_bool = isinstance(value, bool) and bool not in json_types
            return message if wrong_bool or not isinstance(value, json_types) else None
    return None
