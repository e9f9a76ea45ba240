"""GraphQL errors with REST's problem ``code``s, and no server internals, ever.

Every error of a response gets ``extensions.code`` and ``extensions.status``: the
``code`` and HTTP status REST answers for the same failure (the one mapping,
``config.api.errors.problem_for``), with ``extensions.errors`` listing the fields of a
``validation_error`` as REST's ``errors`` do (``attr`` is the GraphQL path,
``input.title``). The document's own mistakes (syntax, an unknown field, a wrong
argument type) are ``graphql_parse_failed`` and ``graphql_validation_failed``; the
limits name themselves (``graphql_api.limits``). An exception that is no API error is a
bug: logged with its traceback, answered ``server_error`` with a generic message.
"""

import logging
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from config.api.errors import problem_for
from config.ops.dependencies import as_dependency_error

logger = logging.getLogger("keel.graphql")

SERVER_ERROR_DETAIL = "A server error occurred; it has been logged."


@dataclass(frozen=True)
class Problem:
    code: str
    status: int
    detail: str
    errors: list[dict]
    retry_after: int | None = None


def error_entries(errors: list[GraphQLError]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The response's ``errors`` list, and the problem each one stands for."""
    problems = [problem_of(error) for error in errors]
    return [
        _entry(error, problem) for error, problem in zip(errors, problems, strict=True)
    ], problems


def problem_of(error: GraphQLError) -> Problem:
    extensions = error.extensions or {}
    if isinstance(extensions.get("code"), str):
        # Raised by our own rules (graphql_api.limits), which name their code.
        return Problem(extensions["code"], 400, error.message, [])
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError):
        return Problem("graphql_parse_failed", 400, error.message, [])
    # Outside a field (no path) but at a place in the document: validation or variable
    # coercion refused it, even where a scalar's parser raised (a 5,000-digit Int).
    document_error = error.path is None and error.locations
    if original is None or isinstance(original, GraphQLError) or document_error:
        return Problem("graphql_validation_failed", 400, error.message, [])
    problem = problem_for(original)
    if problem is None:
        logger.error(
            "GraphQL field %s failed",
            ".".join(str(key) for key in error.path or ()) or "(none)",
            exc_info=(type(original), original, original.__traceback__),
        )
        return Problem("server_error", 500, SERVER_ERROR_DETAIL, [])
    unavailable = as_dependency_error(original)
    return Problem(
        problem["code"],
        problem["status"],
        problem["detail"],
        problem["errors"],
        retry_after=unavailable.retry_after if unavailable else None,
    )


def _entry(error: GraphQLError, problem: Problem) -> dict[str, Any]:
    entry: dict[str, Any] = {"message": problem.detail}
    if error.locations:
        entry["locations"] = [location._asdict() for location in error.locations]
    if error.path is not None:
        entry["path"] = error.path
    extensions: dict[str, Any] = {"code": problem.code, "status": problem.status}
    if problem.errors:
        extensions["errors"] = problem.errors
    entry["extensions"] = extensions
    return entry


def refused(message: str) -> dict[str, Any]:
    """The body of a request refused before it ran, for want of a runnable operation."""
    extensions = {"code": "graphql_validation_failed", "status": 400}
    return {"errors": [{"message": message, "extensions": extensions}]}
