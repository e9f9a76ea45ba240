"""Browser cookie mode: the refresh token in an ``HttpOnly`` cookie, out of JavaScript's reach.

A login (or its two-factor step, or a password change) sent with
``X-Keel-Token-Transport: cookie`` answers the access token in the body and sets the
refresh token as a cookie that is ``HttpOnly``, ``SameSite`` (``Strict`` unless set
otherwise), ``Secure`` wherever cookies are (``SECURE_COOKIES``), and sent only under
``/api/v1/auth/token/``: to the refresh and revoke endpoints, nowhere else. Those two read
it when the body carries no token, and then demand Django's CSRF token (the
``csrftoken`` cookie, sent back as ``X-CSRFToken``), since a cookie is sent by the
browser whoever made the page. Access tokens stay bearer tokens in every mode.
"""

from dataclasses import asdict
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from rest_framework.response import Response

from accounts.exceptions import CsrfFailed

if TYPE_CHECKING:
    from rest_framework.request import Request

    from accounts.services import TokenPair

TRANSPORT_HEADER = "X-Keel-Token-Transport"


def wants_cookie(request: "Request") -> bool:
    return request.headers.get(TRANSPORT_HEADER, "").strip().lower() == "cookie"


def refresh_token_from_cookie(request: "Request") -> str | None:
    """The refresh cookie's token, once the request has passed the CSRF check; else None."""
    raw_token = request.COOKIES.get(settings.JWT_REFRESH_COOKIE_NAME)
    if not raw_token:
        return None
    _enforce_csrf(request)
    return raw_token


def token_pair_response(request: "Request", pair: "TokenPair", *, cookie: bool) -> Response:
    """The pair in the body, or in cookie mode the access token and the refresh cookie."""
    if not cookie:
        return Response(asdict(pair))
    response = Response({"access": pair.access})
    response.set_cookie(
        settings.JWT_REFRESH_COOKIE_NAME,
        pair.refresh,
        max_age=int(settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds()),
        path=settings.JWT_REFRESH_COOKIE_PATH,
        secure=settings.JWT_REFRESH_COOKIE_SECURE,
        httponly=True,
        samesite=_samesite(),
    )
    # Makes CsrfViewMiddleware set the csrftoken cookie the refresh will have to echo.
    get_token(request._request)
    return response


def refresh_cookie_clear(response: Response) -> Response:
    response.delete_cookie(
        settings.JWT_REFRESH_COOKIE_NAME,
        path=settings.JWT_REFRESH_COOKIE_PATH,
        samesite=_samesite(),
    )
    return response


def _samesite() -> Literal["Strict", "Lax"]:
    # One of the two: the settings refuse to start with anything else.
    return settings.JWT_REFRESH_COOKIE_SAMESITE


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):  # the reason, rather than Django's 403 page
        return reason


def _never_called(request: HttpRequest) -> HttpResponse:
    # The middleware's stand-in for the view: it only reads whether it is csrf_exempt.
    raise AssertionError("the CSRF check calls no view")


def _enforce_csrf(request: "Request") -> None:
    # As DRF's SessionAuthentication does: the middleware's own checks (the token, and
    # the Origin against CSRF_TRUSTED_ORIGINS), run for this request only.
    check = _CsrfCheck(_never_called)
    check.process_request(request._request)
    reason = check.process_view(request._request, _never_called, (), {})
    if reason:
        raise CsrfFailed(f"CSRF check failed: {reason}")
