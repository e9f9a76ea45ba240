"""Plain views that each send one known statement, for the connection-check tests."""

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import handler500  # noqa: F401  (the project's 500 handler applies here too)

READ_SQL = "SELECT count(*) FROM django_content_type"


def read(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(READ_SQL)
        (count,) = cursor.fetchone()
    return JsonResponse({"content_types": count})


def read_in_transaction(request: HttpRequest) -> JsonResponse:
    # The request's first use of the connection opens a transaction.
    with transaction.atomic():
        return read(request)


urlpatterns = [
    path("api/test/database/read", read),
    path("api/test/database/read-in-transaction", read_in_transaction),
]
