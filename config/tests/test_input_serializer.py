"""InputSerializer: JSON values must have their field's type; form strings are DRF's."""

import pytest
from django.http import QueryDict
from rest_framework import serializers

from config.api.serializers import InputSerializer


class Example(InputSerializer):
    name = serializers.CharField()
    count = serializers.IntegerField(required=False)
    flag = serializers.BooleanField(required=False)
    when = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_null=True)


def errors_of(data) -> dict:
    serializer = Example(data=data)
    assert not serializer.is_valid()
    return {name: [error.code for error in errors] for name, errors in serializer.errors.items()}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": 1}, "name"),
        ({"name": True}, "name"),
        ({"name": "ok", "count": "3"}, "count"),
        ({"name": "ok", "count": True}, "count"),
        ({"name": "ok", "count": 2.5}, "count"),
        ({"name": "ok", "flag": 1}, "flag"),
        ({"name": "ok", "flag": "false"}, "flag"),
    ],
)
def test_a_json_value_of_the_wrong_type_is_invalid(data, field):
    assert errors_of(data) == {field: ["invalid"]}


def test_values_of_their_own_type_pass_and_null_is_left_to_allow_null():
    serializer = Example(data={"name": "ok", "count": 3, "flag": False, "note": None})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"name": "ok", "count": 3, "flag": False, "note": None}


def test_other_fields_are_still_checked_alongside_a_wrong_type():
    assert errors_of({"count": "3", "when": "not a date"}) == {
        "count": ["invalid"],
        "name": ["required"],
        "when": ["invalid"],
    }


def test_a_form_body_of_strings_is_parsed_as_drf_does():
    serializer = Example(data=QueryDict("name=ok&count=3&flag=true"))

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"name": "ok", "count": 3, "flag": True}


class WithAList(InputSerializer):
    name = serializers.CharField(max_length=5)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)


def test_each_serializer_binds_copies_of_its_own_and_leaves_the_declared_fields_unbound():
    first, second = WithAList(data={}), WithAList(data={})

    for name in ("name", "tags"):
        declared = WithAList._declared_fields[name]
        assert first.fields[name] is not declared
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
        assert declared.field_name is None  # never bound itself
    # A field with a child is built again (deep), so its child belongs to the copy.
    assert first.fields["tags"].child.parent is first.fields["tags"]


def test_shallow_copies_validate_as_the_declared_fields_do():
    serializer = WithAList(data={"name": "toolong", "tags": ["abcd"]})

    assert not serializer.is_valid()
    assert serializer.errors["name"][0].code == "max_length"
    assert serializer.errors["tags"][0][0].code == "max_length"
