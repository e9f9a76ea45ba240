"""The items routes without valid credentials are 401 problems and change nothing."""

import pytest
from model_bakery import baker

from items.models import Item
from items.tests.helpers import ITEMS_URL, assert_problem, item_url, stored

pytestmark = pytest.mark.django_db


def test_item_list_anonymous_is_401(api_client, user):
    baker.make("items.Item", owner=user)

    response = api_client.get(ITEMS_URL)

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_item_detail_anonymous_is_401_and_keeps_the_row(api_client, user, method):
    item = baker.make("items.Item", owner=user, title="Old")
    before = stored(item)

    response = getattr(api_client, method)(item_url(item), {"title": "New"}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert stored(item) == before


def test_item_create_anonymous_is_401_and_stores_nothing(api_client):
    response = api_client.post(ITEMS_URL, {"title": "Buy milk"}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert not Item.objects.exists()


def test_item_list_with_garbage_token_is_401(api_client):
    response = api_client.get(ITEMS_URL, HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert_problem(response, 401, "token_not_valid")


def test_item_list_of_deactivated_user_is_401(auth_client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = auth_client.get(ITEMS_URL)

    assert_problem(response, 401, "user_inactive")
