"""Running one GraphQL request and shaping its HTTP answer (imported by the view lazily)."""

import math
from typing import Any

from django.http import JsonResponse
from rest_framework.request import Request
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graphql_api.errors import error_entries, refused
from graphql_api.permissions import GraphQLContext
from graphql_api.schema import schema

# Subscriptions are not served over HTTP (nor is there a subscription type).
ALLOWED_OPERATIONS = (OperationType.QUERY, OperationType.MUTATION)


def execute(
    request: Request,
    *,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> JsonResponse:
    try:
        result = schema.execute_sync(
            query,
            variable_values=variables,
            context_value=GraphQLContext(request=request),
            operation_name=operation_name,
            allowed_operation_types=ALLOWED_OPERATIONS,
        )
    except CannotGetOperationTypeError as error:
        return JsonResponse(refused(error.as_http_error_reason()), status=400)
    except InvalidOperationTypeError:
        return JsonResponse(refused("Only queries and mutations are served here."), status=400)
    return graphql_response(result)


def graphql_response(result: ExecutionResult) -> JsonResponse:
    """``data`` and ``errors``, with the status the worst error calls for.

    200 once the operation ran, field errors or not; 400 when it was refused before
    running; a field that met a bug (500) or a dependency down (503) fails the request
    loudly, for clients, monitoring and retries alike.
    """
    entries, problems = error_entries(result.errors or [])
    body: dict[str, Any] = {"errors": entries} if entries else {}
    if result.data is not None:
        body["data"] = result.data
    server_failures = [problem.status for problem in problems if problem.status >= 500]
    if server_failures:
        status = max(server_failures)
    elif result.data is None and problems:
        status = 400
    else:
        status = 200
    response = JsonResponse(body, status=status)
    waits = [problem.retry_after for problem in problems if problem.retry_after]
    if waits:
        response["Retry-After"] = str(math.ceil(max(waits)))
    return response
