"""Filters, search, ordering and pagination of the item list."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from model_bakery import baker

from config.tests.helpers import result_ids
from config.tests.pages import ids_of, in_list_order, pages_backward, pages_forward
from items.models import Item
from items.tests.helpers import ITEMS_URL, assert_problem, error_pairs

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ids(*items: Item) -> list[str]:
    return [str(item.pk) for item in items]


# --- is_completed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "completed"),
    [("true", True), ("True", True), ("1", True), ("false", False), ("0", False)],
)
def test_item_list_filtered_by_is_completed(auth_client, user, value, completed):
    done = baker.make("items.Item", owner=user, is_completed=True, completed_at=NOON)
    open_ = baker.make("items.Item", owner=user)

    response = auth_client.get(ITEMS_URL, {"is_completed": value})

    assert response.status_code == 200
    assert result_ids(response) == ids(done if completed else open_)


def test_item_list_with_an_empty_is_completed_is_400_not_an_unfiltered_list(auth_client, user):
    baker.make("items.Item", owner=user, is_completed=True, completed_at=NOON)

    response = auth_client.get(ITEMS_URL, {"is_completed": ""})

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("is_completed", "blank")]


# --- created_after / created_before ---------------------------------------------------


@pytest.fixture
def timeline(user) -> dict[str, Item]:
    return {
        "before": baker.make("items.Item", owner=user, created_at=NOON - timedelta(seconds=1)),
        "at": baker.make("items.Item", owner=user, created_at=NOON),
        "after": baker.make("items.Item", owner=user, created_at=NOON + timedelta(seconds=1)),
    }


@pytest.mark.parametrize(
    "bound", ["2026-03-01T12:00:00Z", "2026-03-01T12:00:00+00:00", "2026-03-01T13:00:00+01:00"]
)
def test_item_list_created_after_includes_the_bound(auth_client, timeline, bound):
    response = auth_client.get(ITEMS_URL, {"created_after": bound})

    assert result_ids(response) == ids(timeline["after"], timeline["at"])


@pytest.mark.parametrize(
    "bound", ["2026-03-01T12:00:00Z", "2026-03-01T12:00:00+00:00", "2026-03-01T07:00:00-05:00"]
)
def test_item_list_created_before_excludes_the_bound(auth_client, timeline, bound):
    response = auth_client.get(ITEMS_URL, {"created_before": bound})

    assert result_ids(response) == ids(timeline["before"])


def test_item_list_created_between_two_bounds(auth_client, timeline):
    response = auth_client.get(
        ITEMS_URL,
        {"created_after": "2026-03-01T12:00:00Z", "created_before": "2026-03-01T12:00:01Z"},
    )

    assert result_ids(response) == ids(timeline["at"])


def test_item_list_created_after_with_microseconds(auth_client, timeline):
    response = auth_client.get(ITEMS_URL, {"created_after": "2026-03-01T12:00:00.000001Z"})

    assert result_ids(response) == ids(timeline["after"])


# --- search ---------------------------------------------------------------------------


@pytest.fixture
def shopping(user) -> dict[str, Item]:
    return {
        "title": baker.make(
            "items.Item", owner=user, title="Buy MILK", description="", created_at=NOON
        ),
        "description": baker.make(
            "items.Item",
            owner=user,
            title="Groceries",
            description="eggs and milk",
            created_at=NOON - timedelta(hours=1),
        ),
        "neither": baker.make(
            "items.Item", owner=user, title="Call Sam", description="about the car"
        ),
    }


@pytest.mark.parametrize("term", ["milk", "MILK", "Milk", "ilk"])
def test_item_list_search_matches_title_and_description_ignoring_case(auth_client, shopping, term):
    response = auth_client.get(ITEMS_URL, {"search": term})

    assert result_ids(response) == ids(shopping["title"], shopping["description"])


def test_item_list_search_matches_a_phrase(auth_client, shopping):
    response = auth_client.get(ITEMS_URL, {"search": "eggs and"})

    assert result_ids(response) == ids(shopping["description"])


def test_item_list_search_without_match_is_empty(auth_client, shopping):
    response = auth_client.get(ITEMS_URL, {"search": "bicycle"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_item_list_search_never_finds_other_users_items(auth_client, shopping, other_user):
    baker.make("items.Item", owner=other_user, title="Buy milk too")

    response = auth_client.get(ITEMS_URL, {"search": "milk", "count": "true"})

    assert response.json()["count"] == 2
    assert sorted(result_ids(response)) == sorted(ids(shopping["title"], shopping["description"]))


def test_item_list_search_with_like_wildcards_matches_them_literally(auth_client, user):
    literal = baker.make("items.Item", owner=user, title="Grow 100% faster")
    baker.make("items.Item", owner=user, title="Grow 1000 faster")

    response = auth_client.get(ITEMS_URL, {"search": "100%"})

    assert result_ids(response) == ids(literal)


def test_item_list_filters_combine(auth_client, user, shopping):
    Item.objects.filter(pk=shopping["description"].pk).update(is_completed=True, completed_at=NOON)

    response = auth_client.get(ITEMS_URL, {"search": "milk", "is_completed": "false"})

    assert result_ids(response) == ids(shopping["title"])


# --- ordering -------------------------------------------------------------------------


@pytest.fixture
def fruit(user) -> dict[str, Item]:
    """Three items whose title, created_at and updated_at orders all differ."""
    hour = timedelta(hours=1)
    made = {
        "apple": (NOON + hour, NOON + 2 * hour),
        "banana": (NOON + 2 * hour, NOON),
        "cherry": (NOON, NOON + hour),
    }
    items = {}
    for title, (created_at, updated_at) in made.items():
        item: Item = baker.make("items.Item", owner=user, title=title, created_at=created_at)
        # updated_at is auto_now on save; set it afterwards.
        Item.objects.filter(pk=item.pk).update(updated_at=updated_at)
        items[title] = item
    return items


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["apple", "banana", "cherry"]),
        ("-title", ["cherry", "banana", "apple"]),
        ("created_at", ["cherry", "apple", "banana"]),
        ("-created_at", ["banana", "apple", "cherry"]),
        ("updated_at", ["banana", "cherry", "apple"]),
        ("-updated_at", ["apple", "cherry", "banana"]),
        (None, ["banana", "apple", "cherry"]),
    ],
)
def test_item_list_ordering(auth_client, fruit, ordering, expected):
    params = {"ordering": ordering} if ordering else {}

    response = auth_client.get(ITEMS_URL, params)

    assert response.status_code == 200
    assert [result["title"] for result in response.json()["results"]] == expected


# --- invalid filter values ------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "attr", "code"),
    [
        ({"is_completed": "maybe"}, "is_completed", "invalid_choice"),
        ({"ordering": "owner"}, "ordering", "invalid_choice"),
        ({"ordering": "description"}, "ordering", "invalid_choice"),
        ({"ordering": "-password"}, "ordering", "invalid_choice"),
        ({"created_after": "yesterday"}, "created_after", "invalid"),
        ({"created_before": "2026-13-45T00:00:00Z"}, "created_before", "invalid"),
        ({"owner": "not-a-uuid"}, "owner", "invalid"),
        ({"search": "x" * 201}, "search", "max_length"),
    ],
    ids=[
        "is-completed-maybe",
        "ordering-owner",
        "ordering-description",
        "ordering-password",
        "created-after-yesterday",
        "created-before-impossible-date",
        "owner-not-a-uuid",
        "search-too-long",
    ],
)
def test_item_list_with_invalid_filter_value_is_400(auth_client, user, params, attr, code):
    baker.make("items.Item", owner=user)

    response = auth_client.get(ITEMS_URL, params)

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [(attr, code)]


def test_item_list_with_unknown_query_parameter_ignores_it(auth_client, user):
    baker.make("items.Item", owner=user)

    response = auth_client.get(ITEMS_URL, {"colour": "blue"})

    assert len(result_ids(response)) == 1


# --- pagination -----------------------------------------------------------------------


def test_item_list_page_size_one_returns_one_item_and_a_cursor_link(auth_client, user):
    newer = baker.make("items.Item", owner=user, created_at=NOON)
    baker.make("items.Item", owner=user, created_at=NOON - timedelta(hours=1))

    response = auth_client.get(ITEMS_URL, {"page_size": 1})

    body = response.json()
    assert (body["count"], body["previous"]) == (None, None)
    assert result_ids(response) == ids(newer)
    assert body["next"].startswith(f"http://testserver{ITEMS_URL}?cursor=")
    assert parse_qs(urlsplit(body["next"]).query)["page_size"] == ["1"]


def test_item_list_next_link_leads_to_the_next_page_and_previous_back(auth_client, user):
    newer = baker.make("items.Item", owner=user, created_at=NOON)
    older = baker.make("items.Item", owner=user, created_at=NOON - timedelta(hours=1))
    first = auth_client.get(ITEMS_URL, {"page_size": 1}).json()

    response = auth_client.get(first["next"])

    body = response.json()
    assert result_ids(response) == ids(older)
    assert body["next"] is None
    assert result_ids(auth_client.get(body["previous"])) == ids(newer)


def test_item_list_page_links_keep_the_filters(auth_client, user):
    baker.make("items.Item", owner=user, title="milk one", _quantity=2)

    response = auth_client.get(ITEMS_URL, {"page_size": 1, "search": "milk"})

    query = parse_qs(urlsplit(response.json()["next"]).query)
    assert (query["page_size"], query["search"]) == (["1"], ["milk"])
    assert set(query) == {"cursor", "page_size", "search"}


def test_item_list_default_page_size_is_twenty(auth_client, user):
    baker.make("items.Item", owner=user, _quantity=21)

    response = auth_client.get(ITEMS_URL, {"count": "true"})

    assert response.json()["count"] == 21
    assert len(response.json()["results"]) == 20


def test_item_list_page_size_is_capped_at_one_hundred(auth_client, user):
    baker.make("items.Item", owner=user, _quantity=101)

    response = auth_client.get(ITEMS_URL, {"page_size": 1000, "count": "true"})

    body = response.json()
    assert body["count"] == 101
    assert len(body["results"]) == 100
    assert body["next"] is not None


def test_item_list_with_an_empty_search_or_ordering_is_the_plain_list(auth_client, user):
    baker.make("items.Item", owner=user, _quantity=2)

    response = auth_client.get(ITEMS_URL, {"search": "", "ordering": ""})

    assert len(result_ids(response)) == 2


def test_item_list_ordering_by_two_fields_is_400(auth_client, user):
    baker.make("items.Item", owner=user)

    response = auth_client.get(ITEMS_URL, {"ordering": "title,-created_at"})

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [("ordering", "invalid_choice")]


@pytest.mark.parametrize("page", ["1", "2", "last", "0", "-1", "abc", "", "9" * 5000])
def test_item_list_by_page_number_is_400_page_not_supported(auth_client, user, page):
    baker.make("items.Item", owner=user, _quantity=2)

    response = auth_client.get(ITEMS_URL, {"page_size": 1, "page": page})

    body = assert_problem(response, 400, "page_not_supported")
    assert error_pairs(body) == [("page", "page_not_supported")]


def test_item_list_last_page_is_the_final_one(auth_client, user):
    baker.make("items.Item", owner=user, _quantity=3)
    first = auth_client.get(ITEMS_URL, {"page_size": 2}).json()

    response = auth_client.get(first["next"])

    assert len(response.json()["results"]) == 1
    assert response.json()["next"] is None


def test_item_list_cursor_survives_the_deletion_of_the_row_it_points_at(auth_client, user):
    first, second, third = (
        baker.make("items.Item", owner=user, created_at=NOON - timedelta(hours=hours))
        for hours in range(3)
    )
    link = auth_client.get(ITEMS_URL, {"page_size": 1}).json()["next"]
    first.delete()

    response = auth_client.get(link)

    assert result_ids(response) == ids(second)
    assert result_ids(auth_client.get(response.json()["next"])) == ids(third)


def test_item_list_page_emptied_by_deletions_still_links_back(auth_client, user):
    first, second = (
        baker.make("items.Item", owner=user, created_at=NOON - timedelta(hours=hours))
        for hours in range(2)
    )
    link = auth_client.get(ITEMS_URL, {"page_size": 1}).json()["next"]
    second.delete()

    response = auth_client.get(link)

    assert response.json()["results"] == []
    assert response.json()["next"] is None
    assert result_ids(auth_client.get(response.json()["previous"])) == ids(first)


def test_item_list_previous_page_emptied_by_deletions_links_to_the_first_page(auth_client, user):
    first, second = (
        baker.make("items.Item", owner=user, created_at=NOON - timedelta(hours=hours))
        for hours in range(2)
    )
    page_one = auth_client.get(ITEMS_URL, {"page_size": 1}).json()
    back = auth_client.get(page_one["next"]).json()["previous"]
    first.delete()

    response = auth_client.get(back)

    assert (response.json()["results"], response.json()["previous"]) == ([], None)
    assert "cursor=" not in response.json()["next"]
    assert result_ids(auth_client.get(response.json()["next"])) == ids(second)


def test_item_list_walk_with_a_search_and_an_ordering_shows_each_match_once(auth_client, user):
    for index in range(9):
        title = f"{'milk' if index % 3 else 'bread'} {'ab'[index % 2]}"
        baker.make("items.Item", owner=user, title=title, created_at=NOON)
    matches = Item.objects.filter(title__startswith="milk").values("id", "title")

    forward = pages_forward(
        auth_client, ITEMS_URL, {"search": "milk", "ordering": "-title", "page_size": 2}
    )
    backward = pages_backward(auth_client, forward[-1])

    assert ids_of(forward) == in_list_order(matches, ["-title"])
    assert ids_of([*reversed(backward), forward[-1]]) == ids_of(forward)
