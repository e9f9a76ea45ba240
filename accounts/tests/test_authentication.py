"""The SQL each authentication sends: a lookup by a unique key, with no ORDER BY.

The user model orders by email and API keys by creation date (their ``Meta.ordering``);
sorting the one row of a primary-key or unique-prefix lookup is work for nothing.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.api_keys import api_key_create

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/items/"


def statements_on(table: str, captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured if f'FROM "{table}"' in query["sql"]]


def test_bearer_authentication_looks_the_user_up_without_order_by(auth_client):
    with CaptureQueriesContext(connection) as captured:
        response = auth_client.get(ITEMS)

    assert response.status_code == 200
    [lookup] = statements_on("accounts_user", captured)
    assert "ORDER BY" not in lookup


def test_api_key_authentication_looks_the_key_up_without_order_by(user):
    _, key = api_key_create(user=user, name="backup script", scopes=["items:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    with CaptureQueriesContext(connection) as captured:
        response = client.get(ITEMS)

    assert response.status_code == 200
    [lookup] = statements_on("accounts_apikey", captured)
    assert "ORDER BY" not in lookup
