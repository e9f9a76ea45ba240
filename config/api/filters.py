"""django-filter pieces every app's FilterSet uses: unknown values are errors, not ignored."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.db import models
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class StrictBooleanField(forms.Field):
    def to_python(self, value: Any) -> Any:
        if value in (None, ""):
            return None
        normalized = str(value).lower()
        if normalized in _TRUE:
            return True
        if normalized in _FALSE:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid_choice")


class BooleanFilter(filters.BooleanFilter):
    """``?flag=true|false|1|0``; anything else is a 400 instead of silently no filter."""

    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = forms.TextInput
        super().__init__(*args, **kwargs)


class StoredIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, compared in UTC; one outside years 1-9999 in UTC is a 400.

    PostgreSQL refuses a literal offset beyond 15:59, which ISO 8601 allows (up to
    23:59): the moment is handed to the database in UTC, where every offset is fine.
    """

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError as error:
            raise forms.ValidationError(
                "Enter a date and time between years 1 and 9999 in UTC.", code="invalid"
            ) from error


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    """``?created_after=2026-01-01T00:00:00Z``; a moment the database cannot store is a 400."""

    field_class = StoredIsoDateTimeField


class SearchFilter(filters.CharFilter):
    """Free-text search (``?search=word``); an empty search is no search, not a mistake."""


class OrderingFilter(filters.ChoiceFilter):
    """``?ordering=title`` or ``?ordering=-title``: one of ``fields``, either way.

    One field, where django-filter's own takes a comma-separated list: lists are paginated
    by cursor, and each field offered has an index (owner, field, id) that hands its pages
    over in order at the same cost however deep they are; every combination would need an
    index of its own. ``fields`` maps model fields to parameter names, or lists fields.
    """

    def __init__(self, *args: Any, fields: Iterable[str] | dict[str, str], **kwargs: Any):
        names = fields if isinstance(fields, dict) else {field: field for field in fields}
        self.param_map = {param: field for field, param in names.items()}
        kwargs.setdefault("label", "Ordering")
        kwargs["choices"] = [
            (f"{sign}{param}", f"{field.replace('_', ' ').capitalize()}{suffix}")
            for param, field in self.param_map.items()
            for sign, suffix in (("", ""), ("-", " (descending)"))
        ]
        super().__init__(*args, **kwargs)

    def filter(self, qs: models.QuerySet, value: str) -> models.QuerySet:
        if not value:
            return qs
        field = self.param_map[value.removeprefix("-")]
        return qs.order_by(f"-{field}" if value.startswith("-") else field)


_EMPTY_MEANS_NONE = (SearchFilter, OrderingFilter)


class FilterSet(filters.FilterSet):
    """Base FilterSet: strict boolean and moment filters; a filter given empty is a 400.

    django-filter reads ``?owner=`` as no filter at all; here it is a mistake to report
    (the client meant to send a value), like any other value the filter cannot use.
    Search and ordering are the exceptions: an empty search or ordering asks for none.
    """

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
        models.DateTimeField: {"filter_class": IsoDateTimeFilter},
    }

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, _EMPTY_MEANS_NONE) or name not in self.data:
                continue
            if not self.data.getlist(name, [""])[0].strip():
                self.form.add_error(
                    name,
                    forms.ValidationError(
                        "Give a value, or leave the parameter out.", code="blank"
                    ),
                )
                valid = False
        return valid


class DjangoFilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, skipping the FilterSet when no filter is asked for.

    Building a FilterSet (its form, every field) costs about 0.35 ms, on every list and
    detail request; most ask for no filter at all.
    """

    def filter_queryset(
        self, request: Any, queryset: models.QuerySet, view: Any
    ) -> models.QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
