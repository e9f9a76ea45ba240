"""Safe by construction: what one request may ask for, refused before anything runs."""

import pytest
from model_bakery import baker

from graphql_api.tests.helpers import GRAPHQL_URL, data, failures, run
from items.models import Item

pytestmark = pytest.mark.django_db


def refused(response, code: str) -> str:
    """The document was refused before running: 400, no ``data``, one error of ``code``."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert "data" not in body
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]
    return body["errors"][0]["message"]


# --- depth -------------------------------------------------------------------------------


def test_a_query_as_deep_as_allowed_runs(auth_client, settings):
    settings.GRAPHQL_MAX_DEPTH = 5

    assert data(run(auth_client, "{ items { edges { node { owner { email } } } } }"))


def test_a_query_deeper_than_allowed_is_refused(auth_client, settings):
    settings.GRAPHQL_MAX_DEPTH = 4

    message = refused(
        run(auth_client, "{ items { edges { node { owner { email } } } } }"), "query_too_deep"
    )

    assert "5 fields deep" in message
    assert "GRAPHQL_MAX_DEPTH" in message


def test_fragments_count_towards_the_depth(auth_client, settings):
    settings.GRAPHQL_MAX_DEPTH = 4
    query = """{ items { ...Page } }
      fragment Page on ItemConnection { edges { node { ...Owner } } }
      fragment Owner on Item { owner { email } }"""

    refused(run(auth_client, query), "query_too_deep")


def test_inline_fragments_count_towards_the_depth(auth_client, settings):
    settings.GRAPHQL_MAX_DEPTH = 4
    query = "{ items { edges { node { ... on Item { owner { ... { email } } } } } } }"

    assert "5 fields deep" in refused(run(auth_client, query), "query_too_deep")


# --- complexity ----------------------------------------------------------------------------


def test_a_page_counts_its_fields_once_per_row(auth_client, settings):
    # items 1 + edges (1 + node (1 + id 1 + title 1) for each of 10 rows): 32.
    query = "{ items(first: 10) { edges { node { id title } } } }"
    settings.GRAPHQL_MAX_COMPLEXITY = 32
    assert data(run(auth_client, query))

    settings.GRAPHQL_MAX_COMPLEXITY = 31
    assert "32" in refused(run(auth_client, query), "query_too_complex")


def test_a_page_size_in_a_variable_counts_as_the_largest_page(auth_client, settings):
    settings.GRAPHQL_MAX_COMPLEXITY = 200
    query = "query($n: Int) { items(first: $n) { edges { node { id } } } }"

    # items 1 + edges (1 + node (1 + id 1) for each of 100 rows): 202.
    assert "202" in refused(run(auth_client, query, {"n": 1}), "query_too_complex")


def test_connections_nested_in_aliases_add_up(auth_client, settings):
    settings.GRAPHQL_MAX_COMPLEXITY = 100
    page = "items(first: 20) { edges { node { id } } }"

    refused(run(auth_client, f"{{ a: {page} b: {page} c: {page} }}"), "query_too_complex")


def test_the_default_limits_let_a_full_page_of_every_field_run(auth_client, user):
    Item.objects.bulk_create(Item(owner=user, title=f"item {n}") for n in range(100))
    query = """{ items(first: 100) { totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id ownerId title description isCompleted completedAt
                              createdAt updatedAt etag owner { id email firstName } } } } }"""

    assert len(data(run(auth_client, query))["items"]["edges"]) == 100


# --- aliases -----------------------------------------------------------------------------


def test_more_aliases_than_allowed_are_refused(auth_client, settings):
    settings.GRAPHQL_MAX_ALIASES = 3
    query = "{ a: me { id } b: me { id } c: me { id } d: me { id } }"

    assert "4" in refused(run(auth_client, query), "too_many_aliases")


def test_aliases_in_fragments_count_each_time_they_are_spread(auth_client, settings):
    settings.GRAPHQL_MAX_ALIASES = 3
    query = "{ me { ...A } again: me { ...A } } fragment A on User { x: id y: email }"

    refused(run(auth_client, query), "too_many_aliases")


def test_fragments_spreading_fragments_are_measured_without_walking_each_spread(auth_client):
    # 2**40 spreads of F40: walked one by one, measuring alone would never end.
    fragments = "".join(
        f"fragment F{n} on User {{ ...F{n + 1} ...F{n + 1} }}\n" for n in range(40)
    )
    query = "{ me { ...F0 } }\n" + fragments + "fragment F40 on User { id }"

    message = refused(run(auth_client, query), "query_too_complex")

    assert str(2**40 + 1) in message


def test_a_fragment_cycle_is_a_validation_error_not_a_crash(auth_client):
    query = "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }"

    refused(run(auth_client, query), "graphql_validation_failed")


# --- introspection -----------------------------------------------------------------------


def test_introspection_is_refused_unless_enabled(auth_client, settings):
    settings.GRAPHQL_INTROSPECTION = False

    assert "GRAPHQL_INTROSPECTION" in refused(
        run(auth_client, "{ __schema { types { name } } }"), "introspection_disabled"
    )
    refused(run(auth_client, '{ __type(name: "Item") { name } }'), "introspection_disabled")


def test_introspection_runs_where_enabled(api_client, settings):
    settings.GRAPHQL_INTROSPECTION = True

    schema = data(run(api_client, "{ __schema { queryType { name } } }"))

    assert schema == {"__schema": {"queryType": {"name": "Query"}}}


def test_typename_is_not_introspection(auth_client, settings):
    settings.GRAPHQL_INTROSPECTION = False

    assert data(run(auth_client, "{ __typename }")) == {"__typename": "Query"}


# --- the request itself ------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(auth_client, settings):
    settings.GRAPHQL_MAX_BODY_BYTES = 100

    response = run(auth_client, "{ items { totalCount } }", description="x" * 200)

    assert response.status_code == 413
    assert failures(response) == [(None, "payload_too_large")]


def test_a_body_that_is_not_json_is_a_parse_error(auth_client):
    response = auth_client.post(GRAPHQL_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert failures(response) == [(None, "parse_error")]


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({}, "query"),
        ({"query": ""}, "query"),
        ({"query": 42}, "query"),
        ({"query": "{ me { id } }", "variables": [1]}, "variables"),
        ({"query": "{ me { id } }", "operationName": 7}, "operationName"),
    ],
)
def test_a_malformed_request_body_is_a_validation_error(auth_client, body, attr):
    response = auth_client.post(GRAPHQL_URL, body, format="json")

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "validation_error"
    assert [entry["attr"] for entry in error["extensions"]["errors"]] == [attr]


def test_a_batch_of_requests_is_refused(auth_client):
    response = auth_client.post(GRAPHQL_URL, [{"query": "{ me { id } }"}], format="json")

    assert response.status_code == 400
    assert failures(response) == [(None, "validation_error")]


def test_a_form_body_is_an_unsupported_media_type(auth_client):
    response = auth_client.post(GRAPHQL_URL, {"query": "{ me { id } }"}, format="multipart")

    assert response.status_code == 415
    assert failures(response) == [(None, "unsupported_media_type")]


def test_a_syntax_error_is_graphql_parse_failed(auth_client):
    message = refused(run(auth_client, "{ items { "), "graphql_parse_failed")

    assert message.startswith("Syntax Error")


def test_a_document_nested_deeper_than_the_parser_goes_is_refused(auth_client):
    query = "{ me " + "{ a " * 3000 + "}" * 3001

    refused(run(auth_client, query), "graphql_parse_failed")


def test_an_unknown_field_is_graphql_validation_failed(auth_client):
    assert "nope" in refused(run(auth_client, "{ items { nope } }"), "graphql_validation_failed")


def test_an_enormous_integer_literal_is_refused(auth_client):
    refused(run(auth_client, "{ items(first: %s) { totalCount } }" % ("9" * 5000)),
            "graphql_validation_failed")  # fmt: skip


def test_a_variable_of_the_wrong_type_is_refused(auth_client):
    query = "query($id: UUID!) { item(id: $id) { id } }"

    refused(run(auth_client, query, {"id": "not-a-uuid"}), "graphql_validation_failed")


def test_operation_name_picks_the_operation_to_run(auth_client, user):
    baker.make(Item, owner=user)
    query = "query A { me { id } } query B { items { totalCount } }"

    picked = data(run(auth_client, query, operationName="B"))
    assert picked == {"items": {"totalCount": 1}}
    unknown = run(auth_client, query, operationName="C")
    refused(unknown, "graphql_validation_failed")


def test_a_subscription_is_refused(auth_client):
    refused(run(auth_client, "subscription { items { totalCount } }"),
            "graphql_validation_failed")  # fmt: skip
