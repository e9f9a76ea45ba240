"""Cursor pagination for every list: a page costs the same however deep it is.

``{"count": null, "next": url, "previous": url, "results": [...]}``. ``next`` and
``previous`` carry a ``?cursor=``: the position of the page's last (or first) row in the
list's order, signed, and bound to the list, the user it was issued to and the ordering
(``?ordering=``) it was read in. The page is a keyset query (``config.api.keyset``): no
``OFFSET``, and no ``COUNT`` unless ``?count=true`` asks for one.
"""

import functools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit, urlunsplit

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import pagination
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param

from config.api.exceptions import (
    CursorInvalid,
    CursorListMismatch,
    CursorOrderingMismatch,
    CursorUserMismatch,
    PageNotSupported,
)
from config.api.filters import StrictBooleanField
from config.api.keyset import KeysetOrdering
from config.db.precompiled import NotPrecompilable, PrecompiledQuery, precompile

# The largest page_size read: a bound on the digits parsed (int() refuses more than
# 4,300), documented as the schema's maximum.
MAX_QUERY_NUMBER = 10**18 - 1
# Its own salt: a value signed for anything else (a share link, a session) is no cursor.
CURSOR_SALT = "config.api.pagination.cursor"
_CURSOR_KEYS = {"list", "user", "ordering", "position", "backwards"}

if TYPE_CHECKING:
    # Not at run time: importing DRF's views imports the classes the settings name.
    from rest_framework.request import Request
    from rest_framework.views import APIView


@dataclass(frozen=True)
class Cursor:
    """A position in a list's order, and which way the page it asks for goes from it."""

    # As KeysetOrdering.position_of writes it; None, backwards: from the end of the list.
    position: list[str | None] | None
    values: list[Any] | None  # the same, parsed into the fields' values
    backwards: bool


@dataclass(frozen=True)
class PageSource:
    """What a view's list is read from, for its pages' SQL compiled once per process
    (``config.db.precompiled``), given by its ``page_source()``.

    ``build(**values)`` is the very queryset the view paginates for these ``values``
    (``fields``: the field each is compared with); ``key`` names the builder, the same
    for every request it serves.
    """

    key: Hashable
    alias: str
    build: Callable[..., models.QuerySet]
    values: dict[str, Any]
    fields: dict[str, models.Field]


class CursorPagination(pagination.BasePagination):
    """``?cursor=…&page_size=M&count=true``: 20 a page by default, never more than 100.

    A ``page_size`` that is not a positive whole number is a 400 and one above the maximum
    is capped; ``count`` is ``true`` or ``false`` (400 otherwise). A cursor not issued by
    this API for this list, this user and this ordering is a 400 with its own code, and
    so is ``?page=``: pages have no numbers.
    """

    page_size: int = api_settings.PAGE_SIZE or 20
    max_page_size = 100
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    count_query_param = "count"
    page_query_param = "page"

    def paginate_queryset(
        self,
        queryset: models.QuerySet | Sequence[Any],
        request: "Request",
        view: "APIView | None" = None,
    ) -> list[Any]:
        # A keyset needs the database's order: a list paginated here is a queryset.
        assert isinstance(queryset, models.QuerySet), "cursor pagination pages a QuerySet"
        page_source = getattr(view, "page_source", None)
        source = page_source() if page_source is not None else None
        shape = (KeysetOrdering.of(queryset), queryset.model._meta.label_lower)
        return self._paginate(request, shape, lambda: queryset, source)

    def paginate_source(
        self,
        source: PageSource,
        request: "Request",
        queryset: Callable[[], models.QuerySet],
    ) -> list[Any]:
        """The page ``paginate_queryset`` reads of ``queryset()``, the view's queryset for
        the request, read through ``source`` without building that queryset unless a
        count (or a page whose SQL cannot be compiled) needs it: building it was a tenth
        of a list's time in its view.

        The list's order is the same for every request of a source, as its compiled SQL
        is: it is worked out from the first request's queryset and kept.
        """
        built = functools.cache(queryset)  # one request's: built once, if at all
        shape = _SOURCE_SHAPES.get((source.key, source.alias))
        if shape is None:
            shape = (KeysetOrdering.of(built()), built().model._meta.label_lower)
            _SOURCE_SHAPES[(source.key, source.alias)] = shape
        return self._paginate(request, shape, built, source)

    def _paginate(
        self,
        request: "Request",
        shape: tuple[KeysetOrdering, str],
        queryset: Callable[[], models.QuerySet],
        source: PageSource | None,
    ) -> list[Any]:
        if self.page_query_param in request.query_params:
            raise PageNotSupported()
        self.request = request
        self._links: PageLinks | None = None
        size = self.get_page_size(request)
        counting = self._count_asked(request)
        # The list's order, and the label of its model (which cursors are bound to).
        self.ordering, self.list_label = shape
        cursor = self._cursor_read(request)
        self.count = queryset().count() if counting else None
        self.source = source
        rows, more = self._page_read(queryset, cursor, size)
        self._links_set(rows, cursor, more=more)
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "next": self.next_link,
                "previous": self.previous_link,
                "results": data,
            }
        )

    def get_page_size(self, request: "Request") -> int:
        size = _positive_number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: "APIView") -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Where the page starts: the `cursor` of the `next` or `previous` link "
                    "of the page before. Opaque; valid for the list, the user and the "
                    "`ordering` it was issued for (400 `cursor_invalid`, "
                    "`cursor_list_mismatch`, `cursor_user_mismatch`, "
                    "`cursor_ordering_mismatch` otherwise)."
                ),
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Results per page, {self.page_size} unless asked; "
                    f"more than {self.max_page_size} is capped at {self.max_page_size}."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_NUMBER},
            },
            {
                "name": self.count_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "`true`: `count` is the number of results across all pages (one more "
                    "query, reading every matching row); otherwise `count` is null."
                ),
                "schema": {"type": "boolean"},
            },
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "nullable": True,
                    "description": "Results across all pages with `?count=true`; else null.",
                },
                "next": {**link, "description": "The next page, or null on the last."},
                "previous": {**link, "description": "The page before, or null on the first."},
                "results": schema,
            },
        }

    # --- the page and its links ----------------------------------------------------------

    def _page_read(
        self, queryset: Callable[[], models.QuerySet], cursor: Cursor | None, size: int
    ) -> tuple[list[models.Model], bool]:
        """The page's rows in the list's order, and whether more lie beyond them."""
        backwards = cursor is not None and cursor.backwards
        # Backwards, the rows before the cursor are those after it in the reversed order.
        walk = self.ordering.reversed() if backwards else self.ordering
        values = cursor.values if cursor is not None else None
        statement = self._precompiled(walk, values, size)
        if statement is not None and self.source is not None:
            keys = {f"key{i}": value for i, value in enumerate(values or []) if value is not None}
            rows = statement.rows(**self.source.values, **keys)
        else:
            read = queryset()
            if values is not None:
                read = walk.rows_after(read, values)
            # One row more than the page: whether it came says whether there is more.
            rows = list(walk.ordered(read)[: size + 1])
        page = rows[:size]
        if backwards:
            page.reverse()
        return page, len(rows) > size

    def _precompiled(
        self, walk: KeysetOrdering, values: list[Any] | None, size: int
    ) -> PrecompiledQuery | None:
        """The page's statement, compiled the first time this shape of page is read: the
        same order, direction, size, and keys with and without values (nulls)."""
        source = self.source
        if source is None:
            return None
        present = None if values is None else tuple(value is not None for value in values)
        shape = (source.key, source.alias, walk, present, size)
        # One lookup, and the new statement returned as made: another thread may clear
        # the dict between two lookups.
        kept = _PAGE_STATEMENTS.get(shape, _NOT_KEPT)
        if kept is not _NOT_KEPT:
            return cast(PrecompiledQuery | None, kept)
        if len(_PAGE_STATEMENTS) >= _MAX_PAGE_STATEMENTS:
            _PAGE_STATEMENTS.clear()
        statement = _PAGE_STATEMENTS[shape] = _page_statement(source, walk, present, size)
        return statement

    def _links_set(self, rows: list[models.Model], cursor: Cursor | None, *, more: bool) -> None:
        first = self.ordering.position_of(rows[0]) if rows else None
        last = self.ordering.position_of(rows[-1]) if rows else None
        if cursor is None:  # the first page
            self.next_link = self._link(last, backwards=False) if more else None
            self.previous_link = None
        elif not cursor.backwards:
            self.next_link = self._link(last, backwards=False) if more else None
            # Rows were before the cursor (the page it came from) unless deleted since: an
            # empty page links back to the list's last page, not past those rows.
            self.previous_link = self._link(first, backwards=True)
        else:
            self.previous_link = self._link(first, backwards=True) if more else None
            if cursor.position is None:  # the last page
                self.next_link = None
            elif rows:
                self.next_link = self._link(last, backwards=False)
            else:
                self.next_link = remove_query_param(
                    self.request.build_absolute_uri(), self.cursor_query_param
                )

    # --- cursors -------------------------------------------------------------------------

    def _link(self, position: list[str | None] | None, *, backwards: bool) -> str:
        """A link to the page after ``position`` (or before it); ``None``: the list's end."""
        # Not compressed: zlib's set-up cost more than the link it shortens (a page's
        # 20 us of 100 us per link, measured); cursors issued compressed still read.
        cursor = signing.Signer(salt=CURSOR_SALT).sign_object(
            {
                "list": self.list_label,
                "user": self._user_id(),
                "ordering": self.ordering.spelling,
                "position": position,
                "backwards": backwards,
            }
        )
        if self._links is None:
            self._links = PageLinks(self.request.build_absolute_uri(), self.cursor_query_param)
        return self._links.with_cursor(cursor)

    def _cursor_read(self, request: "Request") -> Cursor | None:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            payload = signing.Signer(salt=CURSOR_SALT).unsign_object(raw)
        except signing.BadSignature as error:
            raise CursorInvalid() from error
        # Signed by Keel, but perhaps by a release that wrote cursors another way.
        if not isinstance(payload, dict) or set(payload) != _CURSOR_KEYS:
            raise CursorInvalid()
        if payload["list"] != self.list_label:
            raise CursorListMismatch()
        if payload["user"] != self._user_id():
            raise CursorUserMismatch()
        if payload["ordering"] != self.ordering.spelling:
            raise CursorOrderingMismatch()
        position, backwards = payload["position"], payload["backwards"] is True
        if position is None and backwards:
            return Cursor(position=None, values=None, backwards=True)
        try:
            values = self.ordering.parse_position(position)
        except (DjangoValidationError, ValueError, TypeError) as error:
            raise CursorInvalid() from error
        return Cursor(position=position, values=values, backwards=backwards)

    def _user_id(self) -> str | None:
        user = self.request.user
        return str(user.pk) if user.is_authenticated else None

    def _count_asked(self, request: "Request") -> bool:
        raw = request.query_params.get(self.count_query_param)
        if raw is None:
            return False
        try:
            counting = StrictBooleanField().to_python(raw)
        except forms.ValidationError:
            counting = None
        if counting is None:
            error = ErrorDetail("Use true or false.", code="invalid_choice")
            raise ValidationError({self.count_query_param: [error]})
        return counting


class PageLinks:
    """A list's URL, and links to its pages: the URL with ``?<name>=<cursor>`` in place of
    the request's own.

    The query is parsed once for a page's two links, and each link written as DRF's
    ``replace_query_param`` writes it (the parameters sorted by name, form-encoded):
    parsing and encoding the whole query again for each link, the request's own cursor
    included, was a fifth of a deep page's time in Python (measured).
    """

    def __init__(self, url: str, name: str):
        scheme, netloc, path, query, fragment = urlsplit(url)
        params = parse_qs(query, keep_blank_values=True)
        params.pop(name, None)
        ordered = sorted(params.items())
        before = urlencode([param for param in ordered if param[0] < name], doseq=True)
        after = urlencode([param for param in ordered if param[0] > name], doseq=True)
        self._start = (
            f"{urlunsplit((scheme, netloc, path, '', ''))}?{before}{'&' if before else ''}"
        )
        self._start += f"{quote_plus(name)}="
        self._end = f"{'&' if after else ''}{after}{'#' if fragment else ''}{fragment}"

    def with_cursor(self, cursor: str) -> str:
        # quote_plus per part between colons: a signed cursor's parts are URL-safe, so each
        # takes quote's fast path, where the whole would be quoted one character at a time.
        return (
            f"{self._start}{'%3A'.join(quote_plus(part) for part in cursor.split(':'))}{self._end}"
        )


# Each page source's order and model label, by (PageSource.key, alias): one per list
# view, for its members.
_SOURCE_SHAPES: dict[tuple[Hashable, str], tuple[KeysetOrdering, str]] = {}

# Statements by page shape: a few per list (each page size asked for, each direction).
_PAGE_STATEMENTS: dict[tuple, PrecompiledQuery | None] = {}
_MAX_PAGE_STATEMENTS = 1000
_NOT_KEPT = object()


def _page_statement(
    source: PageSource, walk: KeysetOrdering, present: tuple[bool, ...] | None, size: int
) -> PrecompiledQuery | None:
    keys = {f"key{i}": key.field for i, key in enumerate(walk.keys) if present and present[i]}

    def page(**markers: Any) -> models.QuerySet:
        queryset = source.build(**{name: markers[name] for name in source.fields})
        if present is not None:
            values = [markers.get(f"key{i}") for i in range(len(walk.keys))]
            queryset = walk.rows_after(queryset, values)
        return walk.ordered(queryset)[: size + 1]

    try:
        return precompile(page, source.alias, **source.fields, **keys)
    except NotPrecompilable:
        return None


def _positive_number(request: "Request", name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    # Bounded before int(): Python refuses to parse numbers of more than 4,300 digits.
    number = int(raw) if raw.isdecimal() and len(raw) <= len(str(MAX_QUERY_NUMBER)) else 0
    if number < 1:
        raise ValidationError({name: ["Enter a whole number from 1 upwards."]}, code="invalid")
    return number
