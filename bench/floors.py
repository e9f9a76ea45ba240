"""Floors: what the stack costs without DRF, authentication or middleware work of ours.

``item_list`` and ``item_detail`` run the same SQL as the API's list and retrieve for the
bench user and return the same JSON through a bare ``JsonResponse``. The third floor,
a raw WSGI callable, is in ``bench/wsgi.py``.
"""

from django.conf import settings
from django.http import JsonResponse

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
