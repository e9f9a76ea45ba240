"""The floors do what the ratios assume of them, and the cold and warm scenarios reach
what their names say: the response cache never, or every time."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from items.models import Item

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.urls")]

BODY = json.dumps({"title": " Benchmark item ", "description": "Created by wrk"})


@pytest.fixture
def floors_for(settings, user, other_user):
    """The floors read the user's items and create the other user's, as in a run."""
    settings.BENCH_USER_ID = str(user.pk)
    settings.BENCH_WRITER_ID = str(other_user.pk)


def _inserts(captured: CaptureQueriesContext) -> list[str]:
    # The statement without its values: the same table, columns and placeholders.
    return [
        query["sql"].split(" VALUES ")[0]
        for query in captured.captured_queries
        if query["sql"].startswith("INSERT")
    ]


def test_the_list_floor_sends_a_count_and_the_page_and_links_a_numbered_page(
    floors_for, api_client, user, other_user, django_assert_num_queries
):
    baker.make(Item, owner=user, _quantity=25)
    baker.make(Item, owner=other_user, _quantity=3)  # the writer's, not listed

    with django_assert_num_queries(2) as captured:
        response = api_client.get("/bench/items/", {"cold": "r-1"})

    body = response.json()
    assert "COUNT(" in captured.captured_queries[0]["sql"].upper()
    assert (body["count"], len(body["results"])) == (25, 20)
    assert body["next"].endswith("/bench/items/?page=2")


def test_the_create_floor_sends_the_same_insert_as_the_api(
    floors_for, api_client, client_for, other_user, django_assert_num_queries
):
    writer = client_for(other_user)
    writer.get("/api/v1/items/")  # the writer's user is now in the auth cache
    with CaptureQueriesContext(connection) as api:
        assert (
            writer.post("/api/v1/items/", BODY, content_type="application/json").status_code == 201
        )

    with django_assert_num_queries(1) as floor:
        response = api_client.post("/bench/items/", BODY, content_type="application/json")

    assert response.status_code == 201
    assert _inserts(floor) == _inserts(api)
    assert len(_inserts(api)) == 1
    created = Item.objects.get(pk=response.json()["id"])
    assert (created.owner, created.title) == (other_user, "Benchmark item")
    assert response["Location"].endswith(f"/bench/items/{created.pk}/")


def test_the_retrieve_floor_sends_one_query(
    floors_for, api_client, user, django_assert_num_queries
):
    item = baker.make(Item, owner=user)

    with django_assert_num_queries(1):
        response = api_client.get(f"/bench/items/{item.pk}/", {"cold": "r-1"})

    assert response.json()["id"] == str(item.pk)


@pytest.mark.parametrize("path", ["/api/v1/items/", "item"])
def test_a_cold_parameter_of_its_own_is_never_answered_from_the_response_cache(
    auth_client, user, django_assert_num_queries, path
):
    item = baker.make(Item, owner=user)
    path = f"/api/v1/items/{item.pk}/" if path == "item" else path
    auth_client.get(path, {"cold": "r-0"})  # the user's auth entry, the generation

    for number in (1, 2):
        with django_assert_num_queries(1):  # the page or the object, every time
            first = auth_client.get(path, {"cold": f"r-{number}"})
    with django_assert_num_queries(0):  # the same URL again: the warm-cache scenario
        again = auth_client.get(path, {"cold": "r-2"})

    assert first.status_code == again.status_code == 200
    assert again.json() == auth_client.get(path).json()


def test_a_create_with_live_updates_off_is_the_same_create_publishing_nothing(
    client_for, other_user, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from bench.live_updates import HEADER
    from realtime import events

    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "bench.live_updates.LiveUpdatesSwitch"]
    published = []
    monkeypatch.setattr(events, "could_be_heard", lambda group: published.append(group))
    writer = client_for(other_user)
    off = {f"HTTP_{HEADER.upper().replace('-', '_')}": "off"}

    with django_capture_on_commit_callbacks(execute=True):
        quiet = writer.post("/api/v1/items/", BODY, content_type="application/json", **off)
    assert published == []
    with django_capture_on_commit_callbacks(execute=True):
        loud = writer.post("/api/v1/items/", BODY, content_type="application/json")
    assert published == [f"user.{other_user.pk}"]
    assert quiet.status_code == loud.status_code == 201
    assert quiet.json().keys() == loud.json().keys()
