"""Floors: what the stack costs without DRF, authentication or middleware work of ours.

Bare Django views in the same gunicorn as the API, returning the same JSON through a
bare ``JsonResponse``:

- ``item_list`` is the list floor as issue 15 defines it: the 2 SQL statements a
  page-numbered list sends (a ``COUNT`` of the owner's items and the first page) with a
  ``?page=2`` next link. Keel's list pages by cursor and sends only the page's query,
  so its cold list is held to at least this floor;
- ``item_detail`` runs the retrieve's 1 SQL statement;
- ``item_create`` runs the create's INSERT (one statement in autocommit, as Keel's).

They read and write the rows of the seeded bench users (``BENCH_USER_ID`` and, for
creates, ``BENCH_WRITER_ID``). The fourth floor, a raw WSGI callable, is in
``bench/wsgi.py``.
"""

import json

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from items.models import Item

FIELDS = [
    "id",
    "owner_id",
    "title",
    "description",
    "is_completed",
    "completed_at",
    "created_at",
    "updated_at",
]
PAGE_SIZE = 20


# A bearer-token client sends no CSRF token, and DRF's views are exempt too.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def items(request):
    return item_create(request) if request.method == "POST" else item_list(request)


def item_list(request):
    items = Item.objects.filter(owner_id=settings.BENCH_USER_ID)
    count = items.count()
    page = [_as_json(row) for row in items.order_by("-created_at").values(*FIELDS)[:PAGE_SIZE]]
    return JsonResponse(
        {
            "count": count,
            "next": request.build_absolute_uri("?page=2") if count > PAGE_SIZE else None,
            "previous": None,
            "results": page,
        }
    )


def item_create(request):
    body = json.loads(request.body)
    item = Item(
        owner_id=settings.BENCH_WRITER_ID,
        title=body["title"].strip(),
        description=body.get("description", ""),
    )
    item.save(force_insert=True)
    response = JsonResponse(
        _as_json({field: getattr(item, field) for field in FIELDS}), status=201
    )
    response["Location"] = request.build_absolute_uri(f"{item.pk}/")
    return response


def item_detail(request, item_id):
    row = Item.objects.filter(owner_id=settings.BENCH_USER_ID, pk=item_id).values(*FIELDS).get()
    return JsonResponse(_as_json(row))


def _as_json(row: dict) -> dict:
    return {
        "id": str(row["id"]),
        "owner": str(row["owner_id"]),
        "title": row["title"],
        "description": row["description"],
        "is_completed": row["is_completed"],
        "completed_at": _iso(row["completed_at"]),
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None
