"""The scaling table's owners: items inserted by PostgreSQL itself, as the API lists them."""

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from bench.seed import items_bulk_insert
from items.models import Item

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="generate_series: PostgreSQL"),
]


def _index_definitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", [Item._meta.db_table]
        )
        return {row[0] for row in cursor.fetchall()}


def test_each_owner_gets_exactly_the_items_asked_for(user, other_user):
    items_bulk_insert({user: 1_000, other_user: 30})

    counts = dict(Item.objects.values_list("owner").annotate(Count("id")))
    assert counts == {user.pk: 1_000, other_user.pk: 30}


def test_the_rows_are_distinct_in_time_and_keep_the_services_invariants(user):
    items_bulk_insert({user: 300})

    items = Item.objects.filter(owner=user)
    assert items.values("created_at").distinct().count() == 300
    # completed_at set exactly when completed (the table's check constraint enforces it
    # too), never in the future; about a third completed.
    assert items.filter(is_completed=True).count() == 100
    assert not items.filter(Q(is_completed=True, completed_at__isnull=True)).exists()
    assert not items.filter(completed_at__gt=timezone.now()).exists()
    # What the model validates (a title's length, its fields' choices) holds as well.
    for item in items.order_by("?")[:20]:
        item.full_clean()


def test_the_table_keeps_every_index_the_migrations_made(user):
    before = _index_definitions()

    items_bulk_insert({user: 100})

    assert _index_definitions() == before
    assert {index.name for index in Item._meta.indexes} <= {
        definition.split()[2] for definition in before
    }


def test_the_api_pages_through_them_newest_first(user, auth_client):
    items_bulk_insert({user: 50})
    newest = list(
        Item.objects.filter(owner=user).order_by("-created_at").values_list("id", flat=True)
    )

    first = auth_client.get("/api/v1/items/").json()
    second = auth_client.get(first["next"]).json()

    assert [row["id"] for row in first["results"]] == [str(pk) for pk in newest[:20]]
    assert [row["id"] for row in second["results"]] == [str(pk) for pk in newest[20:40]]
