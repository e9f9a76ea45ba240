"""Request-scoped log context and the two log formats (JSON lines, readable console).

``RequestIdMiddleware`` sets the request id (and later the user id) in context variables;
``RequestContextFilter`` copies them onto every record logged while the request runs,
whichever logger wrote it.
"""

import json
import logging
from contextvars import ContextVar, Token
from datetime import UTC, datetime

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_user_id: ContextVar[str | None] = ContextVar("user_id", default=None)

# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged.
_STANDARD_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "user_id", "taskName"}
)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request(request_id: str) -> tuple[Token[str | None], Token[str | None]]:
    """Start a request's log context; returns the token that ``unbind_request`` needs."""
    return _request_id.set(request_id), _user_id.set(None)


def unbind_request(tokens: tuple[Token[str | None], Token[str | None]]) -> None:
    request_token, user_token = tokens
    _request_id.reset(request_token)
    _user_id.reset(user_token)


def bind_user(user_id: object) -> None:
    _user_id.set(str(user_id) if user_id is not None else None)


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.user_id = _user_id.get()
        return True


class SkipDependencyErrors(logging.Filter):
    """Drop Django's traceback for a request that met a dependency down.

    ``config.ops.dependencies.report_unavailable`` already logged one warning line for
    it; a traceback per request would bury the logs during an outage.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from config.ops.dependencies import as_dependency_error

        # Keel answers 503 only for a dependency down (config.api.errors).
        if getattr(record, "status_code", None) == 503:
            return False
        error = record.exc_info[1] if record.exc_info else None
        return error is None or as_dependency_error(error) is None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers and ``jq`` expect in production."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        entry.update(_extra_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """Readable lines for development: time, level, logger, request id, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        request_id = getattr(record, "request_id", None) or "-"
        extras = " ".join(f"{key}={value}" for key, value in _extra_fields(record).items())
        line = f"{time} {record.levelname:<7} {record.name} [{request_id}] {record.getMessage()}"
        if extras:
            line = f"{line} {extras}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def _extra_fields(record: logging.LogRecord) -> dict[str, object]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD_RECORD_ATTRS and not key.startswith("_")
    }
