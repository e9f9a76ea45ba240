"""Two requests racing on one item: one wins, the loser gets 404 or 412, never a 500.

Real concurrency needs real connections: these run on PostgreSQL (CI's second pass).
"""

import threading

import pytest
from django.db import connection, connections
from model_bakery import baker
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from items.models import Item
from resources.models import entity_tag

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and connections"
    ),
]


def race(*requests) -> list[int]:
    """Start every request at the same moment, each on its own thread and connection."""
    barrier = threading.Barrier(len(requests))
    statuses = [0] * len(requests)

    def run(index, request):
        try:
            barrier.wait()
            statuses[index] = request().status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def client_of(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.mark.parametrize("with_if_match", [False, True])
def test_delete_and_patch_of_one_item_racing_never_answer_500(user, with_if_match):
    for _ in range(10):
        item = baker.make(Item, owner=user, title="Raced")
        url = f"/api/v1/items/{item.pk}/"
        headers = {"HTTP_IF_MATCH": entity_tag(item)} if with_if_match else {}

        deleted, patched = race(
            lambda url=url, headers=headers: client_of(user).delete(url, **headers),
            lambda url=url, headers=headers: client_of(user).patch(
                url, {"title": "Late"}, format="json", **headers
            ),
        )

        # Whichever comes first wins; with If-Match the later one is stale (412),
        # without it a PATCH after the DELETE finds nothing (404).
        assert (deleted, patched) in {(204, 404), (204, 412), (204, 200), (412, 200)}
        if with_if_match:
            assert (deleted, patched) != (204, 200)


def test_three_deletes_of_one_item_racing_have_one_winner(user):
    for _ in range(10):
        item = baker.make(Item, owner=user)
        url = f"/api/v1/items/{item.pk}/"

        statuses = race(*[lambda url=url: client_of(user).delete(url) for _ in range(3)])

        assert sorted(statuses) == [204, 404, 404]
        assert not Item.objects.filter(pk=item.pk).exists()
