"""The GraphQL schema: its root types, scalars and limits.

Imported on the first GraphQL request (``graphql_api.views``), never by the REST path.
"""

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from graphql_api.limits import QueryLimits
from graphql_api.mutations import Mutation
from graphql_api.queries import Query
from graphql_api.types import SCALARS


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: Iterable[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # strawberry logs every error with its traceback, the client's mistakes too; the
        # view logs the server's own failures, once (graphql_api.errors).
        return None


def build_schema(**config: Any) -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=[QueryLimits],
        config=StrawberryConfig(scalar_map=SCALARS, **config),
    )


schema = build_schema()
