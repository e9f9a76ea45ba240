"""OpenAPI for owned-resource viewsets: input serializers and conditional-request headers."""

from typing import TYPE_CHECKING, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from config.api.schema import AutoSchema

if TYPE_CHECKING:
    from resources.views import ResourceViewSet

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETag from a previous read; the write is refused with 412 if it is stale.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETag from a previous read; answers 304 if the object has not changed.",
)
NOT_MODIFIED = OpenApiResponse(description="`If-None-Match` holds the current ETag; no body.")
_INPUT_ACTIONS = {"create", "update", "partial_update"}
_CONDITIONAL_WRITES = {"update", "partial_update", "destroy"}


class ResourceSchema(AutoSchema):
    """Bodies are described by the view's ``input_serializer_class``, answers by its output."""

    def get_request_serializer(self):
        if getattr(self.view, "action", None) in _INPUT_ACTIONS:
            # Only ResourceViewSet and its subclasses use this schema.
            return cast("ResourceViewSet", self.view).input_serializer_class
        return super().get_request_serializer()

    def get_response_serializers(self):
        if getattr(self.view, "action", None) == "retrieve":
            return {200: super().get_response_serializers(), 304: NOT_MODIFIED}
        return super().get_response_serializers()

    def get_override_parameters(self):
        action = getattr(self.view, "action", None)
        if action == "retrieve":
            return [IF_NONE_MATCH]
        if action in _CONDITIONAL_WRITES:
            return [IF_MATCH]
        return []
