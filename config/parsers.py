from django.conf import settings
from rest_framework import parsers

from config.exceptions import PayloadTooLarge


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    DRF reads JSON straight from the request stream, so Django's own body-size limit
    never applies to it; without this check one request could fill a worker's memory.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        if content_length(request.META) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge()
        return super().parse(stream, media_type, parser_context)


def content_length(meta: dict) -> int:
    try:
        return max(int(meta.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0
