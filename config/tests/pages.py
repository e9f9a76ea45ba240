"""Walking cursor-paginated lists, and what their page queries cost, for every app's tests."""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext

# More pages than any test makes: a walk that never ends is a bug, not a slow test.
MAX_PAGES = 100


def pages_forward(client, url: str, params: Mapping[str, Any] | None = None) -> list:
    """Every page from the first, following ``next`` until it is null."""
    pages = [client.get(url, params)]
    while (link := _page_body(pages[-1])["next"]) is not None:
        assert len(pages) < MAX_PAGES, "next links go round in circles"
        pages.append(client.get(link))
    return pages


def pages_backward(client, last_page) -> list:
    """Every page before ``last_page``, nearest first, following ``previous`` until null."""
    pages: list = []
    page = last_page
    while (link := _page_body(page)["previous"]) is not None:
        assert len(pages) < MAX_PAGES, "previous links go round in circles"
        page = client.get(link)
        pages.append(page)
    return pages


def ids_of(pages: Iterable) -> list[str]:
    """The ``id`` of every result of ``pages``, in the order the pages and rows come."""
    return [row["id"] for page in pages for row in _page_body(page)["results"]]


def cursor_of(link: str) -> str:
    """The ``cursor`` query parameter of a ``next`` or ``previous`` link."""
    return parse_qs(urlsplit(link).query)["cursor"][0]


def in_list_order(rows: Iterable[Mapping[str, Any]], ordering: list[str]) -> list[str]:
    """The ``id`` of each row sorted as the API promises: by ``ordering``, then by id.

    ``ordering`` holds field names, ``-`` for descending; the id goes the way of the last
    field, and a null sorts after every value (before them, descending).
    """
    last_descending = bool(ordering) and ordering[-1].startswith("-")
    keys = [*ordering, "-id" if last_descending else "id"]
    ordered = list(rows)
    # Python's sort is stable: sorting by each key from the last one orders by them all.
    for key in reversed(keys):
        ordered.sort(key=_value_of(key.removeprefix("-")), reverse=key.startswith("-"))
    return [str(row["id"]) for row in ordered]


def page_query_plan(client, url: str, table: str) -> dict:
    """PostgreSQL's plan of the query reading ``table``'s rows for ``GET url``.

    Sequential scans, bitmap scans and sorts are priced out of reach first, so a plan
    without a sort proves an index hands the rows over in the list's order.
    """
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    page_queries = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and f'FROM "{table}"' in query["sql"]
    ]
    assert len(page_queries) == 1, page_queries
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {page_queries[0]}")
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def plan_nodes(plan: dict) -> Iterator[dict]:
    """Every node of a plan, the root first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def _value_of(name: str) -> Callable[[Mapping[str, Any]], tuple]:
    """A sort key on the row's ``name``, a null after every value."""

    def value(row: Mapping[str, Any]) -> tuple:
        return (0, row[name]) if row[name] is not None else (1,)

    return value


def _page_body(page) -> dict:
    assert page.status_code == 200, page.content
    return page.json()
