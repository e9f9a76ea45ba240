"""Listing files (filters, search, ordering, pages) and reading one file's metadata."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from model_bakery import baker

from accounts.models import User
from config.tests.helpers import result_ids
from storage.models import StoredFile
from storage.tests.helpers import FILES_URL, assert_problem, error_pairs, file_body, file_url

pytestmark = pytest.mark.django_db


# --- list -------------------------------------------------------------------------------


def test_file_list_returns_own_active_files_newest_first(auth_client, user, other_user):
    older, newer = baker.make(StoredFile, owner=user, _quantity=2)
    baker.make(StoredFile, owner=user, status="pending")
    baker.make(StoredFile, owner=other_user)

    response = auth_client.get(FILES_URL)

    assert response.status_code == 200
    assert response.json() == {
        "count": None,
        "next": None,
        "previous": None,
        "results": [file_body(newer), file_body(older)],
    }


def test_file_list_is_paginated(auth_client, user):
    files = baker.make(StoredFile, owner=user, _quantity=3)

    first = auth_client.get(FILES_URL, {"page_size": 2, "count": "true"})
    second = auth_client.get(first.json()["next"])

    assert first.json()["count"] == 3
    assert result_ids(first) == [str(files[2].pk), str(files[1].pk)]
    assert first.json()["next"].startswith("http://testserver/api/v1/files/?")
    assert "cursor=" in first.json()["next"]
    assert result_ids(second) == [str(files[0].pk)]
    assert second.json()["next"] is None


def test_file_list_filters_by_content_type(auth_client, user):
    pdf = baker.make(StoredFile, owner=user, content_type="application/pdf")
    baker.make(StoredFile, owner=user, content_type="image/png")

    response = auth_client.get(FILES_URL, {"content_type": "application/pdf"})

    assert result_ids(response) == [str(pdf.pk)]


def test_file_list_searches_names_ignoring_case(auth_client, user, other_user):
    report = baker.make(StoredFile, owner=user, filename="Quarterly Report.pdf")
    baker.make(StoredFile, owner=user, filename="holiday.png")
    baker.make(StoredFile, owner=other_user, filename="report.pdf")

    response = auth_client.get(FILES_URL, {"search": "rEpOrT"})

    assert result_ids(response) == [str(report.pk)]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("size", ["small", "medium", "large"]),
        ("-size", ["large", "medium", "small"]),
        ("filename", ["large", "medium", "small"]),
        ("created_at", ["medium", "large", "small"]),
    ],
)
def test_file_list_orders_by_the_given_field(auth_client, user, ordering, expected):
    for name, size in [("medium", 50), ("large", 90), ("small", 10)]:
        baker.make(StoredFile, owner=user, filename=name, size=size)

    response = auth_client.get(FILES_URL, {"ordering": ordering})

    assert [result["filename"] for result in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("params", "attr", "code"),
    [
        ({"ordering": "owner__password"}, "ordering", "invalid_choice"),
        ({"ordering": "object_key"}, "ordering", "invalid_choice"),
        ({"owner": "not-a-uuid"}, "owner", "invalid"),
        ({"search": "x" * 201}, "search", "max_length"),
        ({"content_type": "x" * 101}, "content_type", "max_length"),
    ],
)
def test_file_list_with_invalid_filter_values_returns_400(auth_client, user, params, attr, code):
    baker.make(StoredFile, owner=user)

    response = auth_client.get(FILES_URL, params)

    body = assert_problem(response, 400, "validation_error")
    assert error_pairs(body) == [(attr, code)]


def test_file_list_by_page_number_is_400_page_not_supported(auth_client, user):
    baker.make(StoredFile, owner=user)

    assert_problem(auth_client.get(FILES_URL, {"page": 2}), 400, "page_not_supported")


def test_file_list_for_staff_shows_every_users_files(client_for, staff_user, user, other_user):
    files = [baker.make(StoredFile, owner=user), baker.make(StoredFile, owner=other_user)]
    baker.make(StoredFile, owner=other_user, status="pending")

    response = client_for(staff_user).get(FILES_URL)
    by_owner = client_for(staff_user).get(FILES_URL, {"owner": str(other_user.pk)})

    assert sorted(result_ids(response)) == sorted(str(f.pk) for f in files)
    assert result_ids(by_owner) == [str(files[1].pk)]


def test_file_list_for_is_staff_without_the_group_shows_own_files_only(
    client_for, user, other_user
):
    staff_without_role = User.objects.create(email="lead@example.com", is_staff=True)
    baker.make(StoredFile, owner=user)

    response = client_for(staff_without_role).get(FILES_URL)

    assert response.json()["results"] == []


@pytest.mark.parametrize("as_staff", [False, True], ids=["member", "staff"])
def test_file_list_query_count_does_not_grow_with_the_files(
    client_for, user, other_user, staff_user, django_assert_max_num_queries, as_staff
):
    client = client_for(staff_user if as_staff else user)
    baker.make(StoredFile, owner=user)
    with CaptureQueriesContext(connection) as one_file:
        assert len(client.get(FILES_URL).json()["results"]) == 1
    baker.make(StoredFile, owner=user, _quantity=30)
    baker.make(StoredFile, owner=other_user, _quantity=5)

    with django_assert_max_num_queries(len(one_file)):
        response = client.get(FILES_URL, {"page_size": 100})

    assert len(response.json()["results"]) == (36 if as_staff else 31)


# --- retrieve ---------------------------------------------------------------------------


def test_file_retrieve_returns_the_whole_file(auth_client, user):
    stored_file = baker.make(StoredFile, owner=user, sha256="a" * 64)

    response = auth_client.get(file_url(stored_file))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == file_body(stored_file)


def test_file_retrieve_of_staff_reads_another_users_file(client_for, staff_user, user):
    stored_file = baker.make(StoredFile, owner=user)

    response = client_for(staff_user).get(file_url(stored_file))

    assert response.status_code == 200
    assert response.json()["owner"] == str(user.pk)


@pytest.mark.parametrize(
    "pk", [uuid.uuid4(), "not-a-uuid", "12345"], ids=["unknown", "garbage", "integer"]
)
def test_file_retrieve_of_a_missing_file_returns_404(auth_client, pk):
    assert_problem(auth_client.get(file_url(pk)), 404, "not_found")


def test_file_retrieve_of_a_pending_upload_returns_404(auth_client, user):
    stored_file = baker.make(StoredFile, owner=user, status="pending")

    assert_problem(auth_client.get(file_url(stored_file)), 404, "not_found")


def test_file_update_is_not_allowed(auth_client, user):
    stored_file = baker.make(StoredFile, owner=user, filename="keep.txt")

    response = auth_client.patch(file_url(stored_file), {"filename": "x.txt"}, format="json")

    assert_problem(response, 405, "method_not_allowed")
    assert StoredFile.objects.get().filename == "keep.txt"
