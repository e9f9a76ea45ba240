from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from config.api.exceptions import PayloadTooLarge


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing oversized and pathologically nested bodies.

    DRF reads JSON straight from the request stream, so Django's own body-size limit
    never applies to it; without the size check one request could fill a worker's
    memory. ``json`` gives up on deep nesting with RecursionError, which DRF does not
    turn into a parse error.
    """

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        assert parser_context is not None, "DRF's Request always passes its context"
        request = parser_context["request"]
        if content_length(request.META) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the document is nested too deeply.") from error


def content_length(meta: dict) -> int:
    try:
        return max(int(meta.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0
