"""Relay-style connections over a QuerySet: ``first``/``after``, ``last``/``before``.

A cursor is an opaque token for a row's position in the list (LIMIT/OFFSET over the REST
list's ordering; REST itself pages by keyset), of at most the REST list's size:
``first`` or ``last`` above it is capped, as REST caps ``page_size``. A page's rows are
one query, plus one for ``totalCount`` when it is asked for (or ``last`` is given without
``before``: the end must be known to count back from it).
"""

import base64
import binascii
from typing import Generic, TypeVar

import strawberry
from django.db import models
from rest_framework.exceptions import ValidationError

from config.api.pagination import MAX_QUERY_NUMBER, CursorPagination

# REST's PAGE_SIZE and max_page_size.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = CursorPagination.max_page_size
PAGE_ARGUMENTS_DESCRIPTION = (
    f"Relay pagination: `first` (default {DEFAULT_PAGE_SIZE}) after the cursor `after`, or "
    f"`last` before `before`; more than {MAX_PAGE_SIZE} is capped at {MAX_PAGE_SIZE}."
)

NodeType = TypeVar("NodeType")

_CURSOR_PREFIX = "position:"
_DIGITS = len(str(MAX_QUERY_NUMBER))


@strawberry.type(description="Where a page lies in its list (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A row of a page, and its cursor.")
class Edge(Generic[NodeType]):
    cursor: str
    node: NodeType


@strawberry.type(description="A page of a list (a Relay connection).")
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo
    queryset: strawberry.Private[models.QuerySet]
    known_total: strawberry.Private[int | None] = None

    @strawberry.field(description="How many match across all pages (one COUNT query).")
    def total_count(self) -> int:
        if self.known_total is None:
            self.known_total = self.queryset.count()
        return self.known_total


def paginate(
    queryset: models.QuerySet,
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection:
    """The page of ``queryset`` the Relay arguments select (Relay's cursor algorithm)."""
    start = 0 if after is None else position_of(after, "after") + 1
    end = None if before is None else position_of(before, "before")
    if first is None and last is None:
        first = DEFAULT_PAGE_SIZE
    if first is not None:
        size = _page_size(first, "first")
        end = start + size if end is None else min(end, start + size)
    total = None
    if last is not None:
        if end is None:
            end = total = queryset.count()
        start = max(start, end - _page_size(last, "last"))
    assert end is not None, "first, last or both are given by now"
    end = max(end, start)
    # One row more than the page shows whether another page follows.
    rows = list(queryset[start : end + 1])
    has_next_page = len(rows) > end - start
    edges = [
        Edge(cursor=cursor_at(start + offset), node=row)
        for offset, row in enumerate(rows[: end - start])
    ]
    page_info = PageInfo(
        has_next_page=has_next_page,
        has_previous_page=start > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=page_info, queryset=queryset, known_total=total)


def cursor_at(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode()


def position_of(cursor: str, argument: str) -> int:
    """The position a cursor stands for; a cursor this list did not give out is a 400."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError):
        text = ""
    digits = text.removeprefix(_CURSOR_PREFIX)
    # Bounded like REST's page numbers (MAX_QUERY_NUMBER): databases refuse larger offsets.
    if not text.startswith(_CURSOR_PREFIX) or not digits.isdecimal() or len(digits) > _DIGITS:
        raise ValidationError({argument: ["Not a cursor of this list."]}, code="invalid")
    return int(digits)


def _page_size(requested: int, argument: str) -> int:
    if requested < 0:
        raise ValidationError({argument: ["Give 0 or more."]}, code="min_value")
    return min(requested, MAX_PAGE_SIZE)
