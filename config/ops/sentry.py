"""Error reporting to Sentry, with no personal data in what leaves."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

# Headers that carry credentials or identify the person; their values never leave.
_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "x-forwarded-for"})


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        # No emails, IPs, cookies, bodies or local variables leave for Sentry.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
        },
        before_send=scrub_personal_data,
    )


def scrub_personal_data(event: "Event", hint: "Hint") -> "Event":
    """Drop request bodies, cookies, query strings and credential headers from an event.

    ``data_collection`` already tells the SDK to collect no user, bodies or local
    variables; this is the backstop for what an integration attaches anyway, so the
    request is reduced here to its method, URL path and harmless headers.
    """
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value
                for name, value in headers.items()
                if name.lower() not in _SECRET_HEADERS
            }
    event.pop("user", None)
    return event
