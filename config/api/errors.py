"""The one place errors become RFC 9457 problem documents.

Services raise Django's ``ValidationError``/``PermissionDenied``/``Http404`` or a
``config.api.exceptions.ApplicationError`` subclass; DRF raises its own exceptions.
``exception_handler`` turns all of them into ``application/problem+json`` with the
members DESIGN.md lists. A backing service down or too slow (the database's, Redis's or
the bucket's client errors, see ``config.ops.dependencies``) is a 503 with
``Retry-After``. Anything else is a bug: it propagates, Django logs it, and
``ApiProblemMiddleware`` answers a generic 500 problem.
"""

import math
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core import exceptions as django_exceptions
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from config.api.exceptions import ApplicationError, DependencyUnavailable, PayloadTooLarge
from config.ops.dependencies import as_dependency_error, report_unavailable
from config.ops.logging import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(
    *, status: int, code: str, detail: str, errors: list[dict] | None = None
) -> dict[str, Any]:
    return {
        "type": f"{settings.PROBLEM_TYPE_BASE_URL}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
        "request_id": current_request_id(),
    }


def problem_json_response(
    *, status: int, code: str, detail: str, errors: list[dict] | None = None
) -> JsonResponse:
    """A problem document as a plain Django response, whatever the view renders otherwise."""
    return JsonResponse(
        problem_body(status=status, code=code, detail=detail, errors=errors),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def problem_for(exc: Exception) -> dict[str, Any] | None:
    """The problem document ``exc`` means, or None for a bug (not an API error).

    The REST handler below and the GraphQL error formatter (``graphql_api.errors``) share
    it, so both name one failure with the same ``code``.
    """
    return _problem_from(_as_api_error(exc))


def exception_handler(exc: Exception, context: dict[str, Any]) -> JsonResponse | None:
    api_error = _as_api_error(exc)
    problem = _problem_from(api_error)
    if problem is None:
        return None
    set_rollback()
    # A plain JsonResponse, not a DRF Response: DRF would render it with the view's own
    # renderer, which for the HTML docs views is not JSON at all.
    response = JsonResponse(problem, status=problem["status"], content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, drf_exceptions.Throttled):
        # Set by Throttled.__init__; djangorestframework-stubs does not declare it.
        wait: float | None = exc.wait  # type: ignore[attr-defined]
        if wait is not None:
            response["Retry-After"] = str(math.ceil(wait))
    if isinstance(api_error, DependencyUnavailable):
        response["Retry-After"] = str(api_error.retry_after)
    # A 401 must say how to authenticate (RFC 9110); DRF's views set ``auth_header``.
    if response.status_code == 401:
        response["WWW-Authenticate"] = getattr(exc, "auth_header", None) or 'Bearer realm="api"'
    return response


def _problem_from(exc: Exception) -> dict[str, Any] | None:
    if isinstance(exc, ApplicationError):
        body = problem_body(
            status=exc.status_code, code=exc.code, detail=exc.detail, errors=exc.errors
        )
        return {**exc.members, **body}
    if isinstance(exc, drf_exceptions.ValidationError):
        errors = list(_flatten_validation_errors(exc.detail))
        return problem_body(
            status=400,
            code="validation_error",
            detail=errors[0]["detail"] if len(errors) == 1 else "The input is not valid.",
            errors=errors,
        )
    if isinstance(exc, drf_exceptions.APIException):
        detail, code = _detail_and_code(exc)
        return problem_body(status=exc.status_code, code=code, detail=detail)
    return None


def _as_api_error(exc: Exception) -> Exception:
    """Django's own exceptions, translated to the DRF or application error they mean."""
    if unavailable := as_dependency_error(exc):
        report_unavailable(unavailable, exc)
        return unavailable
    if isinstance(exc, django_exceptions.ValidationError):
        return drf_exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, Http404):
        return drf_exceptions.NotFound()
    if isinstance(exc, django_exceptions.PermissionDenied):
        return drf_exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, django_exceptions.SuspiciousOperation):
        return drf_exceptions.ParseError(str(exc))
    return exc


def _detail_and_code(exc: drf_exceptions.APIException) -> tuple[str, str]:
    # simplejwt puts a dict ({"detail", "code", "messages"}) where DRF puts a string.
    if isinstance(exc.detail, dict):
        detail = exc.detail.get("detail", exc.default_detail)
        code = exc.detail.get("code", exc.default_code)
        return str(detail), str(code)
    return str(exc.detail), str(getattr(exc.detail, "code", None) or exc.default_code)


def _flatten_validation_errors(detail: Any, path: str | None = None) -> Iterator[dict]:
    """``{"a": [{"b": ["x"]}]}`` becomes ``{"attr": "a.0.b", "code": ..., "detail": "x"}``."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS):
                yield from _flatten_validation_errors(value, path)
            else:
                yield from _flatten_validation_errors(value, _join(path, key))
    elif isinstance(detail, list):
        nested = any(isinstance(item, dict | list) for item in detail)
        for index, item in enumerate(detail):
            yield from _flatten_validation_errors(item, _join(path, index) if nested else path)
    else:
        yield {
            "attr": path,
            "code": getattr(detail, "code", None) or "invalid",
            "detail": str(detail),
        }


def _join(path: str | None, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
