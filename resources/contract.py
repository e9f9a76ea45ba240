"""The contract every owned resource keeps, as a test class its tests subclass.

A resource's tests include it with a few lines::

    class TestNoteContract(OwnedResourceContract):
        url = "/api/v1/notes/"
        model = "notes.Note"
        create_body = {"title": "Buy milk"}
        update_body = {"title": "Buy oat milk"}

and pytest runs every test below against ``/api/v1/notes/``: another user's object is
a 404 for every method (the BOLA matrix), staff read everyone's and change nothing of
theirs, anonymous requests are 401, server-owned fields in a body are ignored, lists are
paginated by cursor with a cap (every row once, in order, both ways, under every ordering
offered; a cursor that is not the list's, the user's and the ordering's is a 400) and
cost the same queries whatever the page size or depth, each ordering is read from an
index led by the owner, bad filter values are 400s, and the ETag flow (304 on
``If-None-Match``, 412 on a stale ``If-Match``). Override ``owner_index_prefix`` when
the model's indexes start with more than ``owner`` (files: ``owner``, ``status``).
Override ``make`` (how a test creates a row) and ``create`` (how the API creates one)
where the resource differs: files are uploaded, not posted as JSON.
"""

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from model_bakery import baker

from config.ops.cache import RedisCache
from config.tests.helpers import result_ids
from config.tests.pages import (
    cursor_of,
    ids_of,
    in_list_order,
    page_query_plan,
    pages_backward,
    pages_forward,
    plan_nodes,
)
from config.tests.problems import assert_problem, error_pairs
from config.tests.resp import connection_breaks_once
from resources.events import registered_event_names, resource_committed
from resources.models import entity_tag

FOREIGN_ID = "00000000-0000-4000-8000-000000000000"
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
class OwnedResourceContract:
    url: ClassVar[str]
    model: ClassVar[str]  # "app_label.ModelName"
    create_body: ClassVar[dict[str, Any]] = {}
    # None: the resource cannot be changed through the API (the update tests skip).
    update_body: ClassVar[dict[str, Any] | None] = None
    # Filters every owned resource has, plus the resource's own in ``extra_invalid_filters``.
    invalid_filters: ClassVar[list[dict[str, str]]] = [
        {"owner": "not-a-uuid"},
        {"created_after": "yesterday"},
        {"created_before": "2026-13-45"},
        # Before year 1 in UTC.
        {"created_after": "0001-01-01T00:00:00+05:00"},
        # Given, but empty: the client meant to send something.
        {"owner": ""},
        {"created_after": ""},
        {"ordering": "no_such_field"},
        # One field at a time: each has an index that hands its pages over in order.
        {"ordering": "created_at,-created_at"},
    ]
    extra_invalid_filters: ClassVar[list[dict[str, str]]] = []
    # Authentication and the page; staff also read their permissions (user and group).
    max_list_queries: ClassVar[dict[str, int]] = {"member": 2, "staff": 4}
    # What every index serving an ordering starts with, before the field and the id.
    owner_index_prefix: ClassVar[tuple[str, ...]] = ("owner",)

    # --- hooks ---------------------------------------------------------------------------

    def make(self, owner, **fields):
        """A row of the resource owned by ``owner``, straight into the database."""
        return baker.make(self.model, owner=owner, **fields)

    def create(self, client, **extra_fields):
        """Create one through the API, sending ``extra_fields`` beside the valid body."""
        return client.post(self.url, {**self.create_body, **extra_fields}, format="json")

    # --- helpers -------------------------------------------------------------------------

    def detail_url(self, obj_or_pk) -> str:
        return f"{self.url}{getattr(obj_or_pk, 'pk', obj_or_pk)}/"

    def stored(self, obj) -> dict[str, Any] | None:
        return apps.get_model(self.model)._base_manager.filter(pk=obj.pk).values().first()

    def detail_requests(self) -> list[tuple[str, dict[str, Any] | None]]:
        requests: list[tuple[str, dict[str, Any] | None]] = [("get", None), ("delete", None)]
        if self.update_body is not None:
            requests += [("put", {**self.create_body, **self.update_body})]
            requests += [("patch", self.update_body)]
        return requests

    def writes(self) -> list[tuple[str, dict[str, Any] | None]]:
        return [request for request in self.detail_requests() if request[0] != "get"]

    def needs_update(self) -> dict[str, Any]:
        """The update body; the test is skipped if the resource has none."""
        if self.update_body is None:
            pytest.skip("this resource has no update")
        return self.update_body

    # --- another user's object does not exist (BOLA) -------------------------------------

    def test_contract_detail_of_other_users_object_is_404_and_keeps_the_row(
        self, auth_client, other_user
    ):
        obj = self.make(other_user)
        before = self.stored(obj)
        for method, body in self.detail_requests():
            response = getattr(auth_client, method)(self.detail_url(obj), body, format="json")
            assert_problem(response, 404, "not_found")
        assert self.stored(obj) == before

    def test_contract_detail_of_other_users_object_is_indistinguishable_from_a_missing_one(
        self, auth_client, other_user
    ):
        obj = self.make(other_user)
        for method, body in self.detail_requests():
            theirs = getattr(auth_client, method)(self.detail_url(obj), body, format="json")
            missing = getattr(auth_client, method)(
                self.detail_url(FOREIGN_ID), body, format="json"
            )
            assert _without_request_id(theirs.json()) == _without_request_id(missing.json())

    def test_contract_detail_with_a_malformed_id_is_404(self, auth_client):
        for method, body in self.detail_requests():
            response = getattr(auth_client, method)(
                self.detail_url("not-a-uuid"), body, format="json"
            )
            assert_problem(response, 404, "not_found")

    def test_contract_list_of_member_shows_only_their_own(self, auth_client, user, other_user):
        mine = self.make(user)
        self.make(other_user)

        response = auth_client.get(self.url)

        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [str(mine.pk)]

    def test_contract_list_of_member_filtered_by_another_owner_is_empty(
        self, auth_client, user, other_user
    ):
        self.make(user)
        self.make(other_user)

        response = auth_client.get(self.url, {"owner": str(other_user.pk), "count": "true"})

        assert response.status_code == 200
        assert (response.json()["count"], response.json()["results"]) == (0, [])

    # --- staff read everyone's, change only their own ------------------------------------

    def test_contract_list_of_staff_shows_everyones_and_filters_by_owner(
        self, client_for, staff_user, user, other_user
    ):
        mine, theirs = self.make(user), self.make(other_user)
        client = client_for(staff_user)

        everyone = client.get(self.url).json()["results"]
        only_theirs = client.get(self.url, {"owner": str(other_user.pk)}).json()["results"]

        assert {row["id"] for row in everyone} == {str(mine.pk), str(theirs.pk)}
        assert [row["id"] for row in only_theirs] == [str(theirs.pk)]

    def test_contract_retrieve_by_staff_of_another_users_object_is_200(
        self, client_for, staff_user, other_user
    ):
        obj = self.make(other_user)

        response = client_for(staff_user).get(self.detail_url(obj))

        assert response.status_code == 200
        assert response.json()["id"] == str(obj.pk)

    def test_contract_write_by_staff_of_another_users_object_is_403_and_keeps_the_row(
        self, client_for, staff_user, other_user
    ):
        obj = self.make(other_user)
        before = self.stored(obj)
        client = client_for(staff_user)
        for method, body in self.writes():
            response = getattr(client, method)(self.detail_url(obj), body, format="json")
            assert_problem(response, 403, "permission_denied")
        assert self.stored(obj) == before

    # --- authentication ------------------------------------------------------------------

    def test_contract_anonymous_requests_are_401(self, api_client, user):
        obj = self.make(user)
        before = self.stored(obj)
        requests = [("get", self.url, None), ("post", self.url, self.create_body)]
        requests += [
            (method, self.detail_url(obj), body) for method, body in self.detail_requests()
        ]
        for method, url, body in requests:
            response = getattr(api_client, method)(url, body, format="json")
            assert_problem(response, 401, "not_authenticated")
            assert response["WWW-Authenticate"].startswith("Bearer")
        assert self.stored(obj) == before

    # --- mass assignment -----------------------------------------------------------------

    def test_contract_create_ignores_server_owned_fields(self, auth_client, user, other_user):
        chosen_id = str(uuid.uuid4())

        response = self.create(
            auth_client, id=chosen_id, owner=str(other_user.pk), created_at="2001-01-01T00:00:00Z"
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["owner"] == str(user.pk)
        assert body["id"] != chosen_id
        assert not body["created_at"].startswith("2001")
        assert response["Location"].endswith(self.detail_url(body["id"]))

    def test_contract_update_ignores_server_owned_fields(self, auth_client, user, other_user):
        update_body = self.needs_update()
        obj = self.make(user)
        before = self.stored(obj)
        assert before is not None
        body = {**update_body, "id": str(uuid.uuid4()), "owner": str(other_user.pk)}

        response = auth_client.patch(self.detail_url(obj), body, format="json")

        assert response.status_code == 200, response.content
        after = self.stored(obj)
        assert after is not None
        assert (after["id"], after["owner_id"]) == (before["id"], before["owner_id"])

    # --- lists: keyset pagination, filters, query counts ---------------------------------

    def test_contract_list_page_size_is_capped_at_one_hundred(self, auth_client, user):
        for _ in range(101):
            self.make(user)

        body = auth_client.get(self.url, {"page_size": 1000, "count": "true"}).json()

        assert (body["count"], len(body["results"])) == (101, 100)
        assert body["next"] is not None

    def test_contract_list_with_a_bad_page_size_is_400(self, auth_client, user):
        self.make(user)
        for page_size in ("abc", "0", "-1", "null", "1.5", "", "9" * 5000):
            body = assert_problem(
                auth_client.get(self.url, {"page_size": page_size}), 400, "validation_error"
            )
            assert [error["attr"] for error in body["errors"]] == ["page_size"], page_size

    def test_contract_list_walks_every_row_once_in_order_under_every_ordering(
        self, auth_client, user, other_user
    ):
        rows = self.rows_with_ties(user, 7)
        self.make(other_user)
        for ordering, fields in self.offered_orderings().items():
            expected = in_list_order(rows, fields)

            forward = pages_forward(auth_client, self.url, {"ordering": ordering, "page_size": 3})
            backward = pages_backward(auth_client, forward[-1])

            assert ids_of(forward) == expected, ordering
            assert [len(page.json()["results"]) for page in forward] == [3, 3, 1], ordering
            assert ids_of([*reversed(backward), forward[-1]]) == expected, ordering
            assert forward[0].json()["previous"] is None

    def test_contract_list_links_keep_the_filters_and_the_page_size(self, auth_client, user):
        for _ in range(3):
            self.make(user)
        since = "2000-01-01T00:00:00Z"

        first = auth_client.get(self.url, {"page_size": 1, "created_after": since})
        second = auth_client.get(first.json()["next"])

        for link in (first.json()["next"], second.json()["previous"]):
            query = parse_qs(urlsplit(link).query)
            assert (query["page_size"], query["created_after"]) == (["1"], [since])
        assert result_ids(auth_client.get(second.json()["previous"])) == result_ids(first)

    def test_contract_list_counts_only_when_asked(self, auth_client, user):
        for _ in range(3):
            self.make(user)

        for params, count in [({}, None), ({"count": "false"}, None), ({"count": "true"}, 3)]:
            body = auth_client.get(self.url, {"page_size": 1, **params}).json()
            assert set(body) == {"count", "next", "previous", "results"}
            assert (body["count"], len(body["results"])) == (count, 1), params

    def test_contract_list_with_a_bad_count_is_400(self, auth_client, user):
        self.make(user)
        for count in ("maybe", "", "yes", "2"):
            body = assert_problem(
                auth_client.get(self.url, {"count": count}), 400, "validation_error"
            )
            assert error_pairs(body) == [("count", "invalid_choice")], count

    def test_contract_list_by_page_number_is_400_page_not_supported(self, auth_client, user):
        self.make(user)
        for page in ("1", "2", "last", ""):
            body = assert_problem(
                auth_client.get(self.url, {"page": page}), 400, "page_not_supported"
            )
            assert error_pairs(body) == [("page", "page_not_supported")]

    def test_contract_list_with_a_cursor_not_issued_by_the_api_is_400(self, auth_client, user):
        for _ in range(2):
            self.make(user)
        issued = cursor_of(auth_client.get(self.url, {"page_size": 1}).json()["next"])
        payload, _, signature = issued.rpartition(":")
        tampered = [
            f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}:{signature}",
            f"{payload}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
            f"{payload}:",
            payload,
        ]
        unsigned = base64.urlsafe_b64encode(b'{"backwards": false}').decode()
        for cursor in [*tampered, unsigned, "not-a-cursor", "%%%", "", "x" * 5000]:
            body = assert_problem(
                auth_client.get(self.url, {"cursor": cursor}), 400, "cursor_invalid"
            )
            assert error_pairs(body) == [("cursor", "cursor_invalid")], cursor

    def test_contract_list_with_another_users_cursor_is_400(
        self, auth_client, client_for, user, other_user
    ):
        for owner in (user, other_user, other_user):
            self.make(owner)
        theirs = client_for(other_user).get(self.url, {"page_size": 1}).json()["next"]

        assert_problem(auth_client.get(theirs), 400, "cursor_user_mismatch")

    def test_contract_list_with_a_cursor_of_another_ordering_is_400(self, auth_client, user):
        for _ in range(2):
            self.make(user)
        orderings = list(self.offered_orderings())
        by_one = auth_client.get(self.url, {"ordering": orderings[1], "page_size": 1})

        for other in (orderings[2], ""):
            response = auth_client.get(
                self.url, {"ordering": other, "cursor": cursor_of(by_one.json()["next"])}
            )
            body = assert_problem(response, 400, "cursor_ordering_mismatch")
            assert error_pairs(body) == [("cursor", "cursor_ordering_mismatch")]

    def test_contract_list_with_a_cursor_of_another_list_is_400(self, auth_client, user):
        self.make(user)
        baker.make("accounts.ApiKey", user=user, prefix=iter(["k1", "k2"]), _quantity=2)
        api_keys = auth_client.get("/api/v1/auth/api-keys/", {"page_size": 1}).json()

        response = auth_client.get(self.url, {"cursor": cursor_of(api_keys["next"])})

        assert_problem(response, 400, "cursor_list_mismatch")

    def test_contract_list_with_a_bad_filter_value_is_400(self, auth_client, user):
        self.make(user)
        for params in self.invalid_filters + self.extra_invalid_filters:
            body = assert_problem(auth_client.get(self.url, params), 400, "validation_error")
            assert [error["attr"] for error in body["errors"]] == list(params), params

    def test_contract_list_compares_moments_of_any_utc_offset_in_utc(self, auth_client, user):
        obj = self.make(user)
        # Offsets beyond PostgreSQL's 15:59 are valid ISO 8601: the same instant in UTC.
        just_after = (obj.created_at + timedelta(seconds=1)).astimezone(
            timezone(timedelta(hours=17, minutes=32))
        )

        response = auth_client.get(self.url, {"created_before": just_after.isoformat()})
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [str(obj.pk)]
        response = auth_client.get(self.url, {"created_after": just_after.isoformat()})
        assert response.json()["results"] == []

    @pytest.mark.parametrize("role", ["member", "staff"])
    def test_contract_list_queries_do_not_grow_with_the_page(
        self, client_for, user, staff_user, role, django_assert_max_num_queries, settings
    ):
        settings.RESPONSE_CACHE_SECONDS = 0  # the queries of the list itself
        client = client_for(user if role == "member" else staff_user)
        limit = self.max_list_queries[role]
        self.make(user)
        client.get(self.url)  # the user is read once, then kept (accounts.auth_cache)
        with django_assert_max_num_queries(limit) as one_row:
            client.get(self.url)
        for _ in range(29):
            self.make(user)

        with django_assert_max_num_queries(limit) as thirty_rows:
            response = client.get(self.url, {"page_size": 100})

        assert len(response.json()["results"]) == 30
        assert len(thirty_rows) == len(one_row)

    def test_contract_list_deep_page_costs_what_the_first_does_and_counts_only_when_asked(
        self, auth_client, user, settings
    ):
        settings.RESPONSE_CACHE_SECONDS = 0  # the queries of the list itself
        for _ in range(12):
            self.make(user)
        pages = pages_forward(auth_client, self.url, {"page_size": 2})
        deep = pages[-2].json()["next"]

        with CaptureQueriesContext(connection) as first:
            auth_client.get(self.url, {"page_size": 2})
        with CaptureQueriesContext(connection) as last:
            assert len(auth_client.get(deep).json()["results"]) == 2
        with CaptureQueriesContext(connection) as counted:
            assert auth_client.get(f"{deep}&count=true").json()["count"] == 12

        assert len(last) == len(first)
        assert len(counted) == len(first) + 1
        for query in [*first.captured_queries, *last.captured_queries]:
            assert "OFFSET" not in query["sql"].upper()
            assert "COUNT(" not in query["sql"].upper()

    def test_contract_every_ordering_has_an_owner_index_ending_with_the_id(self):
        indexes = {tuple(index.fields) for index in self.model_class()._meta.indexes}
        for fields in self.offered_orderings().values():
            keys = (*fields, "-id" if fields[-1].startswith("-") else "id")
            # An index read backwards serves the opposite order as well.
            one_way = (*self.owner_index_prefix, *keys)
            other_way = (*self.owner_index_prefix, *(_reversed(key) for key in keys))
            assert {one_way, other_way} & indexes, (fields, indexes)

    def test_contract_list_pages_are_read_from_an_owner_index_in_order(
        self, auth_client, user, other_user
    ):
        if connection.vendor != "postgresql":
            pytest.skip("reads PostgreSQL's query plans")
        self.rows_with_ties(user, 5)
        self.rows_with_ties(other_user, 5)
        table = self.model_class()._meta.db_table
        for ordering, fields in self.offered_orderings().items():
            first = auth_client.get(self.url, {"ordering": ordering, "page_size": 2})
            nodes = list(plan_nodes(page_query_plan(auth_client, first.json()["next"], table)))

            assert not [node for node in nodes if "Sort" in node["Node Type"]], ordering
            scans = [node for node in nodes if node.get("Relation Name") == table]
            assert [scan["Node Type"] for scan in scans] == ["Index Scan"], ordering
            # The scan seeks to the cursor: the first ordering field bounds the index range.
            assert fields[0].removeprefix("-") in scans[0]["Index Cond"], (ordering, scans)
            assert "owner_id" in scans[0]["Index Cond"], (ordering, scans)

    def test_contract_a_members_page_is_read_in_order_from_owner_indexes_alone(
        self, auth_client, user
    ):
        """No index over every owner's rows (a staff list's) can hand a member's page over
        in order: for an owner holding most of the table, PostgreSQL might otherwise pick
        it and filter out every newer row of the other owners first."""
        if connection.vendor != "postgresql":
            pytest.skip("reads PostgreSQL's query plans")
        self.rows_with_ties(user, 5)
        model = self.model_class()
        owner = self.owner_index_prefix[0]
        owner_led = [index for index in model._meta.indexes if index.fields[0] == owner]
        with transaction.atomic():  # a savepoint: the indexes come back
            with connection.schema_editor() as editor:
                for index in owner_led:
                    editor.remove_index(model, index)
            for ordering in self.offered_orderings():
                first = auth_client.get(self.url, {"ordering": ordering, "page_size": 2})
                plan = page_query_plan(auth_client, first.json()["next"], model._meta.db_table)
                nodes = [node["Node Type"] for node in plan_nodes(plan)]
                assert "Sort" in nodes, (ordering, nodes)
            transaction.set_rollback(True)

    # --- list helpers --------------------------------------------------------------------

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def offered_orderings(self) -> dict[str, list[str]]:
        """Each ``?ordering=`` the list offers, both ways, plus none: the fields it sorts by.

        The first is the default (the model's ``Meta.ordering``).
        """
        view = resolve(self.url).func.cls  # type: ignore[attr-defined]
        ordering_filter = view.filterset_class.base_filters["ordering"]
        ordering = self.model_class()._meta.ordering or []
        orderings = {"": [str(spelling) for spelling in ordering]}
        for param, field in ordering_filter.param_map.items():
            orderings[param] = [field]
            orderings[f"-{param}"] = [f"-{field}"]
        return orderings

    def rows_with_ties(self, owner, count: int) -> list[dict[str, Any]]:
        """``count`` rows of ``owner`` whose ordering fields take a few values, often equal."""
        model = self.model_class()
        names = {name.removeprefix("-") for f in self.offered_orderings().values() for name in f}
        rows = []
        fields = {name: model._meta.get_field(name) for name in names}
        for index in range(count):
            pk = self.make(owner).pk
            values = {
                name: tied_value(field, index)
                for name, field in fields.items()
                if isinstance(field, models.Field)
            }
            model._base_manager.filter(pk=pk).update(**values)
            rows.append({"id": pk, **values})
        return rows

    # --- conditional requests (ETags) ----------------------------------------------------

    def test_contract_retrieve_sends_an_etag_and_304_when_it_matches(self, auth_client, user):
        obj = self.make(user)

        first = auth_client.get(self.detail_url(obj))
        again = auth_client.get(self.detail_url(obj), HTTP_IF_NONE_MATCH=first["ETag"])

        assert first["ETag"] == entity_tag(obj)
        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == first["ETag"]

    def test_contract_write_with_a_stale_if_match_is_412_and_keeps_the_row(
        self, auth_client, user
    ):
        obj = self.make(user)
        before = self.stored(obj)
        for method, body in self.writes():
            response = getattr(auth_client, method)(
                self.detail_url(obj), body, format="json", HTTP_IF_MATCH='"stale"'
            )
            assert_problem(response, 412, "precondition_failed")
        assert self.stored(obj) == before

    def test_contract_update_with_the_current_if_match_succeeds_with_a_new_etag(
        self, auth_client, user
    ):
        self.needs_update()
        obj = self.make(user)
        tag = auth_client.get(self.detail_url(obj))["ETag"]

        response = auth_client.patch(
            self.detail_url(obj), self.update_body, format="json", HTTP_IF_MATCH=tag
        )

        assert response.status_code == 200, response.content
        assert response["ETag"] != tag
        stale = auth_client.patch(
            self.detail_url(obj), self.update_body, format="json", HTTP_IF_MATCH=tag
        )
        assert_problem(stale, 412, "precondition_failed")

    def test_contract_delete_with_the_current_if_match_is_204(self, auth_client, user):
        obj = self.make(user)
        tag = auth_client.get(self.detail_url(obj))["ETag"]

        response = auth_client.delete(self.detail_url(obj), HTTP_IF_MATCH=tag)

        assert response.status_code == 204
        assert self.stored(obj) is None
        assert_problem(auth_client.get(self.detail_url(obj)), 404, "not_found")

    # --- response caching (viewsets with cache_responses) ---------------------------------

    def needs_response_cache(self) -> None:
        viewset = getattr(resolve(self.url).func, "cls", None)  # what as_view() was called on
        if not getattr(viewset, "cache_responses", False):
            pytest.skip("this resource does not cache its responses")

    def test_contract_a_members_repeated_reads_are_served_without_a_query(
        self, auth_client, user, django_assert_num_queries
    ):
        self.needs_response_cache()
        obj = self.make(user)
        for url in (self.url, self.detail_url(obj)):
            first = auth_client.get(url)
            with django_assert_num_queries(0):
                again = auth_client.get(url)
            assert again.status_code == 200
            assert again.json() == first.json()
            assert again["ETag"] == first["ETag"]

    def test_contract_a_write_through_the_api_is_read_back_at_once(self, auth_client, user):
        self.needs_response_cache()
        obj = self.make(user)
        auth_client.get(self.url), auth_client.get(self.detail_url(obj))
        created = self.create(auth_client)
        assert created.status_code == 201, created.content
        listed = ids_of([auth_client.get(self.url)])
        assert created.json()["id"] in listed
        if self.update_body is not None:
            patched = auth_client.patch(self.detail_url(obj), self.update_body, format="json")
            assert patched.status_code == 200
            assert auth_client.get(self.detail_url(obj)).json() == patched.json()
        assert auth_client.delete(self.detail_url(obj)).status_code == 204
        assert_problem(auth_client.get(self.detail_url(obj)), 404, "not_found")
        assert str(obj.pk) not in ids_of([auth_client.get(self.url)])

    def test_contract_a_create_is_read_back_at_once_when_redis_drops_a_connection(
        self, auth_client, user, monkeypatch
    ):
        """Redis closing the connection that deletes the owner's generation (a restart,
        a proxy's idle timeout): the deletion is sent again, the list is not served stale."""
        self.needs_response_cache()
        if not isinstance(caches["default"], RedisCache):
            pytest.skip("the cache is not Redis (set REDIS_URL)")
        self.make(user)
        auth_client.get(self.url)
        broken = connection_breaks_once(monkeypatch, when=lambda names: names == [b"DEL"])
        created = self.create(auth_client)

        assert created.status_code == 201, created.content
        assert broken
        assert created.json()["id"] in ids_of([auth_client.get(self.url)])

    @pytest.mark.parametrize(
        "write",
        ["save", "queryset update", "bulk update", "bulk create", "queryset delete", "delete"],
    )
    def test_contract_a_write_by_any_path_is_read_back_at_once(self, auth_client, user, write):
        self.needs_response_cache()
        model: Any = self.model_class()  # an owned model: its manager is an OwnedQuerySet's
        obj = self.make(user)
        detail = self.detail_url(obj)
        before = {url: auth_client.get(url).json() for url in (self.url, detail)}
        if write == "save":
            obj.created_at = NOON
            obj.save()
        elif write == "queryset update":
            model.objects.filter(pk=obj.pk).update(created_at=NOON)
        elif write == "bulk update":
            obj.created_at = NOON
            model.objects.bulk_update([obj], ["created_at"])
        elif write == "bulk create":
            model.objects.bulk_create([baker.prepare(self.model, owner=user)])
        else:
            (model.objects.filter(pk=obj.pk) if write == "queryset delete" else obj).delete()
        after = {url: auth_client.get(url) for url in before}
        assert after[self.url].json() != before[self.url]
        if write in {"save", "queryset update", "bulk update"}:
            assert after[detail].json() != before[detail]
        if write.endswith("delete"):
            assert_problem(after[detail], 404, "not_found")

    def test_contract_an_admin_deletion_is_read_back_at_once(
        self, auth_client, user, admin_client
    ):
        self.needs_response_cache()
        obj = self.make(user)
        auth_client.get(self.url)
        meta = self.model_class()._meta
        changelist = f"/admin/{meta.app_label}/{meta.model_name}/"
        response = admin_client.post(
            changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        )
        assert response.status_code == 302
        assert str(obj.pk) not in ids_of([auth_client.get(self.url)])

    def test_contract_two_users_asking_the_same_never_cross(self, client_for, user, other_user):
        self.needs_response_cache()
        mine, theirs = self.make(user), self.make(other_user)
        ann, bob = client_for(user), client_for(other_user)
        for _ in range(2):
            assert ids_of([ann.get(self.url)]) == [str(mine.pk)]
            assert ids_of([bob.get(self.url)]) == [str(theirs.pk)]
        assert_problem(bob.get(self.detail_url(mine)), 404, "not_found")

    def test_contract_staff_are_never_served_a_members_entry(
        self, client_for, user, other_user, staff_user
    ):
        self.needs_response_cache()
        mine, theirs = self.make(user), self.make(other_user)
        ann, staff = client_for(user), client_for(staff_user)
        assert ids_of([ann.get(self.url)]) == [str(mine.pk)]
        assert set(ids_of([staff.get(self.url)])) == {str(mine.pk), str(theirs.pk)}
        assert ids_of([ann.get(self.url)]) == [str(mine.pk)]

    def test_contract_a_list_page_has_an_etag_and_answers_304(self, auth_client, user):
        obj = self.make(user)
        first = auth_client.get(self.url)
        assert first["ETag"].startswith('"')
        again = auth_client.get(self.url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        assert again["ETag"] == first["ETag"]
        obj.delete()
        changed = auth_client.get(self.url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert changed.status_code == 200
        assert changed["ETag"] != first["ETag"]

    def test_contract_with_redis_down_reads_come_from_the_database(
        self, auth_client, user, settings
    ):
        self.needs_response_cache()
        from config.tests.test_dependencies import REDIS_DOWN

        obj = self.make(user)
        settings.CACHES = REDIS_DOWN
        assert ids_of([auth_client.get(self.url)]) == [str(obj.pk)]
        obj.delete()
        assert ids_of([auth_client.get(self.url)]) == []

    # --- live updates: every write is announced once it commits (resources.events) ---------

    @pytest.fixture
    def announcements(self):
        """The ``resource_committed`` announcements sent during the test, in order."""
        heard: list[dict[str, Any]] = []

        def hear(sender, **announcement):
            heard.append({key: announcement[key] for key in ("event_type", "owner_id", "data")})

        resource_committed.connect(hear, weak=False)
        yield heard
        resource_committed.disconnect(hear)

    def event_type(self, action: str) -> str:
        names = registered_event_names()
        model = apps.get_model(self.model)
        assert model in names, f"{self.model} is not registered: see resources/events.py"
        return f"{names[model]}.{action}"

    def test_contract_create_is_announced_after_commit_with_the_rest_body(
        self, auth_client, user, announcements, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = self.create(auth_client)
            assert announcements == []

        assert response.status_code == 201, response.content
        event_type = self.event_type("created")
        assert announcements == [
            {"event_type": event_type, "owner_id": user.pk, "data": response.json()}
        ]

    def test_contract_update_is_announced_after_commit_with_the_rest_body(
        self, auth_client, user, announcements, django_capture_on_commit_callbacks
    ):
        self.needs_update()
        obj = self.make(user)

        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.patch(self.detail_url(obj), self.update_body, format="json")
            assert announcements == []

        assert response.status_code == 200, response.content
        event_type = self.event_type("updated")
        assert announcements == [
            {"event_type": event_type, "owner_id": user.pk, "data": response.json()}
        ]

    def test_contract_delete_is_announced_after_commit_with_the_last_rest_body(
        self, auth_client, user, announcements, django_capture_on_commit_callbacks
    ):
        obj = self.make(user)
        shown = auth_client.get(self.detail_url(obj)).json()

        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.delete(self.detail_url(obj))
            assert announcements == []

        assert response.status_code == 204
        assert announcements == [
            {"event_type": self.event_type("deleted"), "owner_id": user.pk, "data": shown}
        ]

    def test_contract_refused_writes_announce_nothing(
        self, auth_client, user, other_user, announcements, django_capture_on_commit_callbacks
    ):
        obj = self.make(other_user)
        mine = self.make(user)

        with django_capture_on_commit_callbacks(execute=True):
            for method, body in self.writes():
                getattr(auth_client, method)(self.detail_url(obj), body, format="json")
                getattr(auth_client, method)(
                    self.detail_url(mine), body, format="json", HTTP_IF_MATCH='"stale"'
                )

        assert announcements == []


def _without_request_id(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "request_id"}


def _reversed(index_field: str) -> str:
    return index_field.removeprefix("-") if index_field.startswith("-") else f"-{index_field}"


def tied_value(field: models.Field, index: int) -> Any:
    """The ``index``-th row's value of an ordering field: one of three, so rows tie."""
    if isinstance(field, models.DateTimeField):
        return NOON + timedelta(seconds=index % 3)
    if isinstance(field, models.CharField | models.TextField):
        return "abc"[index % 3]
    if isinstance(field, models.IntegerField):
        return index % 3
    raise NotImplementedError(f"no tied values for {field!r}: override rows_with_ties")
