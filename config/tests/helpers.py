"""Shortcuts on API responses, shared by every app's tests."""

from datetime import datetime


def iso(moment: datetime | None) -> str | None:
    """A datetime as the API writes it (UTC, ``Z`` suffix); ``None`` stays ``None``."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def result_ids(response) -> list[str]:
    """The ``id`` of every result on a page of a paginated list, in order."""
    return [result["id"] for result in response.json()["results"]]
