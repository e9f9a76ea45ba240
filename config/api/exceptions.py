"""Domain errors that services raise; ``config.api.errors`` turns them into problem responses.

This module imports nothing from DRF so that services, commands and tasks can raise
these without pulling in the web layer.
"""


class ApplicationError(Exception):
    """A domain error with its own HTTP status and stable ``code``.

    Subclass it per failure::

        class QuotaExceeded(ApplicationError):
            status_code = 413
            code = "quota_exceeded"
            default_detail = "You have used all of your storage."
    """

    status_code: int = 400
    code: str = "error"
    default_detail: str = "The request could not be completed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict] | None = None,
        members: dict[str, object] | None = None,
    ):
        self.detail = detail or self.default_detail
        self.errors = errors or []
        # Extension members of the problem document (RFC 9457 section 3.2), beside ``code``.
        self.members = members or {}
        super().__init__(self.detail)


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"
    default_detail = "The request body is larger than this endpoint accepts."


class PreconditionFailed(ApplicationError):
    status_code = 412
    code = "precondition_failed"
    default_detail = "The resource has changed since you read it (If-Match did not match)."


class DependencyUnavailable(ApplicationError):
    """A backing service is down, refusing or too slow: a 503 that says when to retry.

    Never a bug: the request may well succeed a few seconds later. ``config.ops.dependencies``
    turns the clients' own connection and timeout errors into these.
    """

    status_code = 503
    code = "service_unavailable"
    default_detail = "A service this request needs is unavailable; try again shortly."
    dependency = "service"
    retry_after = 5


class DatabaseUnavailable(DependencyUnavailable):
    code = "database_unavailable"
    default_detail = "The database is unavailable or too slow; try again shortly."
    dependency = "database"
    retry_after = 2


class CacheUnavailable(DependencyUnavailable):
    code = "cache_unavailable"
    default_detail = "The cache is unavailable; try again shortly."
    dependency = "cache"
    retry_after = 5


class StorageUnavailable(DependencyUnavailable):
    code = "storage_unavailable"
    default_detail = "File storage is unavailable or too slow; try again shortly."
    dependency = "storage"
    retry_after = 5


class ListParameterError(ApplicationError):
    """A list's ``cursor`` or ``page`` that cannot be used: named in ``errors`` too."""

    parameter = "cursor"

    def __init__(self, detail: str | None = None):
        super().__init__(detail)
        self.errors = [{"attr": self.parameter, "code": self.code, "detail": self.detail}]


class CursorInvalid(ListParameterError):
    code = "cursor_invalid"
    default_detail = (
        "The cursor is not one this API issued, or it was altered; "
        "use the next and previous links as given."
    )


class CursorListMismatch(ListParameterError):
    code = "cursor_list_mismatch"
    default_detail = "The cursor was issued for another list."


class CursorUserMismatch(ListParameterError):
    code = "cursor_user_mismatch"
    default_detail = "The cursor was issued to another user."


class CursorOrderingMismatch(ListParameterError):
    code = "cursor_ordering_mismatch"
    default_detail = (
        "The cursor was issued for another ordering; start again from the first page "
        "to change the ordering."
    )


class PageNotSupported(ListParameterError):
    parameter = "page"
    code = "page_not_supported"
    default_detail = (
        "Lists are paginated by cursor: follow the next and previous links; page is not accepted."
    )
