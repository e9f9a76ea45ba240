"""Failures the server meets: REST's codes, never a traceback, and loud HTTP statuses."""

import logging

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from model_bakery import baker

from graphql_api import types
from graphql_api.errors import SERVER_ERROR_DETAIL
from graphql_api.tests.helpers import failures, run
from items.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def etag_bug(monkeypatch):
    """A resolver with a bug in it: computing an ETag raises what no handler knows."""

    def broken(instance):
        raise KeyError("internal detail: the secret column name")

    monkeypatch.setattr(types, "entity_tag", broken)


def test_a_bug_in_a_field_is_server_error_500_without_internals(
    auth_client, user, etag_bug, caplog
):
    baker.make(Item, owner=user)

    with caplog.at_level(logging.ERROR, logger="keel.graphql"):
        response = run(auth_client, "{ items { edges { node { title etag } } } }")

    assert response.status_code == 500
    (error,) = response.json()["errors"]
    assert error["message"] == SERVER_ERROR_DETAIL
    assert error["extensions"] == {"code": "server_error", "status": 500}
    assert error["path"] == ["items", "edges", 0, "node", "etag"]
    assert "secret column" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    (record,) = [r for r in caplog.records if r.name == "keel.graphql"]
    assert record.levelname == "ERROR"
    assert record.exc_info
    assert record.exc_info[0] is KeyError


def test_client_errors_are_not_logged_as_errors(auth_client, caplog):
    with caplog.at_level(logging.INFO, logger="keel.graphql"):
        run(auth_client, '{ items(filter: {search: "%s"}) { totalCount } }' % ("x" * 300))
        run(auth_client, "{ nope }")

    assert not [r for r in caplog.records if r.name in ("keel.graphql", "strawberry.execution")]


@pytest.fixture
def items_table_down(monkeypatch):
    """The database refuses every statement on the items table (authentication still works)."""
    execute = CursorWrapper.execute

    def refuse_items(self, sql, params=None):
        if "items_item" in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", refuse_items)


def test_the_database_down_in_a_field_is_503_with_retry_after(
    auth_client, items_table_down, caplog
):
    with caplog.at_level(logging.WARNING):
        response = run(auth_client, "{ me { email } items { totalCount } }")

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    body = response.json()
    assert body["data"]["me"] is not None
    assert failures(response) == [("items", "database_unavailable")]
    assert body["errors"][0]["extensions"]["status"] == 503
    assert [r.levelname for r in caplog.records if r.name == "keel.dependencies"] == ["WARNING"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
