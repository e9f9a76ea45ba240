from django.conf import settings
from rest_framework import parsers

from config.api.parsers import content_length
from storage.exceptions import FileTooLarge

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing bodies over the upload limit before reading them."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.FILES_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES
        if content_length(parser_context["request"].META) > limit:
            raise FileTooLarge()
        return super().parse(stream, media_type, parser_context)
