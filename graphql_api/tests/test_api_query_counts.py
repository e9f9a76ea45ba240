"""No N+1: a page's queries are constant in its size, nested owners included."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from graphql_api.tests.helpers import data, run
from items.models import Item
from storage.models import StoredFile

pytestmark = pytest.mark.django_db

NESTED = """{
  items(first: 100) {
    totalCount
    pageInfo { hasNextPage }
    edges { cursor node { id title etag owner { id email firstName } } }
  }
  files(first: 100) { totalCount edges { node { id filename size owner { email } } } }
}"""


def queries_for(client, query: str) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as captured:
        result = data(run(client, query))
    return result, len(captured.captured_queries)


def make_rows(owners, count: int) -> None:
    for n in range(count):
        owner = owners[n % len(owners)]
        baker.make(Item, owner=owner, title=f"item {n}")
        baker.make(StoredFile, owner=owner, size=n, status=StoredFile.Status.ACTIVE)


def test_a_members_nested_query_over_50_items_costs_four_queries(auth_client, user):
    make_rows([user], 5)
    queries_for(auth_client, NESTED)  # the user is read once, then kept (accounts.auth_cache)
    few, few_queries = queries_for(auth_client, NESTED)
    make_rows([user], 45)

    many, many_queries = queries_for(auth_client, NESTED)

    assert len(few["items"]["edges"]) == 5
    assert len(many["items"]["edges"]) == many["items"]["totalCount"] == 50
    assert {edge["node"]["owner"]["email"] for edge in many["items"]["edges"]} == {user.email}
    # Per list its page and its count.
    assert few_queries == many_queries == 4


def test_staff_reading_50_items_of_50_owners_join_the_owners(
    client_for, staff_user, django_user_model
):
    owners = [django_user_model.objects.create(email=f"owner{n}@example.com") for n in range(50)]
    client = client_for(staff_user)
    make_rows(owners[:5], 5)
    queries_for(client, NESTED)  # the user is read once, then kept (accounts.auth_cache)
    _, few_queries = queries_for(client, NESTED)
    make_rows(owners[5:], 45)

    many, many_queries = queries_for(client, NESTED)

    emails = {edge["node"]["owner"]["email"] for edge in many["items"]["edges"]}
    assert len(emails) == 50
    # Their roles' permissions (user and group), then per list its page (owners joined)
    # and its count.
    assert few_queries == many_queries == 6


def test_a_page_without_total_count_does_not_count(auth_client, user):
    make_rows([user], 3)

    _, queries = queries_for(auth_client, "{ items { edges { node { id } } } }")

    assert queries == 2
