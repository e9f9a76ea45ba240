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
paginated with a cap and cost the same queries whatever the page size, bad filter values
are 400s, and the ETag flow (304 on ``If-None-Match``, 412 on a stale ``If-Match``).
Override ``make`` (how a test creates a row) and ``create`` (how the API creates one)
where the resource differs: files are uploaded, not posted as JSON.
"""

import uuid
from datetime import timedelta, timezone
from typing import Any, ClassVar

import pytest
from django.apps import apps
from model_bakery import baker

from config.tests.problems import assert_problem
from resources.events import registered_event_names, resource_committed
from resources.models import entity_tag

FOREIGN_ID = "00000000-0000-4000-8000-000000000000"


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
    ]
    extra_invalid_filters: ClassVar[list[dict[str, str]]] = []
    # Authentication, count, page; staff also read their permissions (user and group).
    max_list_queries: ClassVar[dict[str, int]] = {"member": 3, "staff": 5}

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

        response = auth_client.get(self.url, {"owner": str(other_user.pk)})

        assert response.status_code == 200
        assert response.json()["count"] == 0

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

    # --- lists: pagination, filters, query counts ----------------------------------------

    def test_contract_list_page_size_is_capped_at_one_hundred(self, auth_client, user):
        for _ in range(101):
            self.make(user)

        body = auth_client.get(self.url, {"page_size": 1000}).json()

        assert (body["count"], len(body["results"])) == (101, 100)
        assert body["next"] is not None

    def test_contract_list_with_a_bad_page_size_is_400(self, auth_client, user):
        self.make(user)
        for page_size in ("abc", "0", "-1", "null", "1.5", "", "9" * 5000):
            body = assert_problem(
                auth_client.get(self.url, {"page_size": page_size}), 400, "validation_error"
            )
            assert [error["attr"] for error in body["errors"]] == ["page_size"], page_size

    def test_contract_list_page_past_the_end_is_404(self, auth_client, user):
        self.make(user)

        assert_problem(auth_client.get(self.url, {"page": 2}), 404, "not_found")

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
        self, client_for, user, staff_user, role, django_assert_max_num_queries
    ):
        client = client_for(user if role == "member" else staff_user)
        limit = self.max_list_queries[role]
        self.make(user)
        with django_assert_max_num_queries(limit) as one_row:
            client.get(self.url)
        for _ in range(29):
            self.make(user)

        with django_assert_max_num_queries(limit) as thirty_rows:
            response = client.get(self.url, {"page_size": 100})

        assert len(response.json()["results"]) == 30
        assert len(thirty_rows) == len(one_row)

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
