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

    def __init__(self, detail: str | None = None, *, errors: list[dict] | None = None):
        self.detail = detail or self.default_detail
        self.errors = errors or []
        super().__init__(self.detail)


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"
    default_detail = "The request body is larger than this endpoint accepts."


class PreconditionFailed(ApplicationError):
    status_code = 412
    code = "precondition_failed"
    default_detail = "The resource has changed since you read it (If-Match did not match)."
