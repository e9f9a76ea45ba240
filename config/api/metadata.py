"""The answer to ``OPTIONS``: DRF's, for every view, serializer or not."""

from typing import Any

from rest_framework import generics, metadata


class SimpleMetadata(metadata.SimpleMetadata):
    """DRF's metadata, leaving out the form description of views that take no body.

    DRF builds the description from ``get_serializer()``, which fails (a 500) for a
    view that declares ``serializer_class = None`` because it reads nothing.
    """

    def determine_actions(self, request: Any, view: Any) -> dict:
        takes_no_body = getattr(view, "serializer_class", None) is None and (
            type(view).get_serializer_class is generics.GenericAPIView.get_serializer_class
        )
        if takes_no_body:
            return {}
        return super().determine_actions(request, view)
