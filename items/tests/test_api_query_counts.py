"""The items routes take a fixed number of queries, whatever the number of items."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from config.tests.resp import names_written
from items.tests.helpers import ITEMS_URL, item_url

pytestmark = pytest.mark.django_db


def without_savepoints(captured: CaptureQueriesContext) -> list[str]:
    # Inside a test's transaction, atomic blocks become SAVEPOINT/RELEASE statements
    # that a request outside a test would not send.
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


@pytest.mark.parametrize("count", [1, 100])
def test_item_list_of_member_takes_two_queries_whatever_the_page_size(
    auth_client, user, django_assert_num_queries, count
):
    # Authentication (with the roles hint) and the page: no COUNT unless asked.
    baker.make("items.Item", owner=user, _quantity=count)

    with django_assert_num_queries(2):
        response = auth_client.get(ITEMS_URL, {"page_size": 100})

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [1, 100])
def test_item_list_with_count_true_takes_one_query_more(
    auth_client, user, django_assert_num_queries, count
):
    baker.make("items.Item", owner=user, _quantity=count)

    with django_assert_num_queries(3) as captured:
        response = auth_client.get(ITEMS_URL, {"page_size": 100, "count": "true"})

    assert response.json()["count"] == count
    assert sum("COUNT(" in query["sql"].upper() for query in captured.captured_queries) == 1


@pytest.mark.parametrize("count", [1, 100])
def test_item_list_of_staff_takes_the_same_queries_whatever_the_page_size(
    client_for, staff_user, user, django_assert_num_queries, count
):
    # Staff also load their permissions once: two more queries, never one per item.
    baker.make("items.Item", owner=user, _quantity=count)

    with django_assert_num_queries(4):
        response = client_for(staff_user).get(ITEMS_URL, {"page_size": 100})

    assert len(response.json()["results"]) == count


def test_item_list_deep_page_takes_the_queries_of_the_first(
    auth_client, user, django_assert_num_queries
):
    baker.make("items.Item", owner=user, _quantity=60)
    link = auth_client.get(ITEMS_URL, {"page_size": 5}).json()["next"]
    for _ in range(10):
        link = auth_client.get(link).json()["next"]

    # The user is kept since the first page (accounts.auth_cache): the page is the query.
    with django_assert_num_queries(1) as captured:
        response = auth_client.get(link)

    assert len(response.json()["results"]) == 5
    assert not [query for query in captured.captured_queries if "OFFSET" in query["sql"]]


def test_item_retrieve_takes_at_most_two_queries(auth_client, user, django_assert_max_num_queries):
    item = baker.make("items.Item", owner=user)

    with django_assert_max_num_queries(2):
        response = auth_client.get(item_url(item))

    assert response.status_code == 200


def test_item_create_takes_at_most_two_queries(auth_client):
    with CaptureQueriesContext(connection) as captured:
        response = auth_client.post(ITEMS_URL, {"title": "Buy milk"}, format="json")

    assert response.status_code == 201
    assert len(without_savepoints(captured)) <= 2


def test_item_patch_takes_at_most_three_queries(auth_client, user):
    item = baker.make("items.Item", owner=user)

    with CaptureQueriesContext(connection) as captured:
        response = auth_client.patch(item_url(item), {"title": "New"}, format="json")

    assert response.status_code == 200
    assert len(without_savepoints(captured)) <= 3


def test_item_delete_takes_at_most_three_queries(auth_client, user):
    item = baker.make("items.Item", owner=user)

    with CaptureQueriesContext(connection) as captured:
        response = auth_client.delete(item_url(item))

    assert response.status_code == 204
    assert len(without_savepoints(captured)) <= 3


def test_a_cold_read_costs_one_round_trip_to_redis_and_is_kept_with_the_next(
    auth_client, user, round_trips, django_assert_num_queries
):
    item = baker.make("items.Item", owner=user)
    auth_client.get(ITEMS_URL, {"page_size": 5})  # the user and the owner's generation
    for url in (ITEMS_URL, item_url(item)):
        round_trips.clear()
        with django_assert_num_queries(1):
            cold = auth_client.get(url)
        # The authenticating pipeline alone: the entry waits for the next one.
        assert len(round_trips) == 1
        round_trips.clear()
        with django_assert_num_queries(0):
            warm = auth_client.get(url)
        assert len(round_trips) == 1
        assert warm.json() == cold.json()


def test_the_authenticating_round_trip_reads_every_key_in_one_command(
    auth_client, user, round_trips
):
    """The auth versions, the owner's generation and the entry come back from one MGET:
    each command sent costs Redis and the client a reply of its own."""
    item = baker.make("items.Item", owner=user)
    auth_client.get(ITEMS_URL)
    for url in (ITEMS_URL, item_url(item)):
        round_trips.clear()
        auth_client.get(url)
        [write] = round_trips
        names = names_written(write)
        [*kept, read, counter_created, counted] = names
        # Entries a request before kept (set_later), the reads, the throttle's count.
        assert set(kept) <= {b"SET"}
        assert [read, counter_created, counted] == [b"MGET", b"SET", b"INCRBY"]
