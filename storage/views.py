from typing import cast

from django.http import FileResponse, HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.models import User
from config.api.parsers import JSONParser
from resources.views import (
    ResourceCreateMixin,
    ResourceDestroyMixin,
    ResourceListMixin,
    ResourceRetrieveMixin,
    ResourceViewSet,
)
from storage import services
from storage.backends import file_storage, supports_presigned_urls
from storage.filters import StoredFileFilter
from storage.models import StoredFile
from storage.parsers import MultiPartParser
from storage.serializers import (
    DirectUploadSerializer,
    DirectUploadStartSerializer,
    FileUploadSerializer,
    ShareLinkCreateSerializer,
    ShareLinkSerializer,
    StoredFileSerializer,
)

DOWNLOAD_RESPONSES = {
    200: OpenApiResponse(description="The file's bytes (local storage)."),
    302: OpenApiResponse(description="Redirect to a short-lived presigned URL (S3 storage)."),
}


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": FileUploadSerializer},
        responses={201: StoredFileSerializer},
    ),
)
class StoredFileViewSet(
    ResourceCreateMixin,
    ResourceRetrieveMixin,
    ResourceDestroyMixin,
    ResourceListMixin,
    ResourceViewSet,
):
    """Your files; staff with ``storage.view_storedfile`` see everyone's (read-only)."""

    api_scope = "files"
    cache_responses = True

    queryset = StoredFile.objects.all()
    serializer_class = StoredFileSerializer
    input_serializer_class = FileUploadSerializer
    filterset_class = StoredFileFilter
    parser_classes = [JSONParser, MultiPartParser]

    def perform_create(self, data):
        # IsAuthenticated has let the request in: its user is a User, not AnonymousUser.
        return services.file_upload(owner=cast(User, self.request.user), upload=data["file"])

    def perform_destroy(self, instance):
        services.file_delete(stored_file=instance, if_match=self.if_match())

    @extend_schema(responses=DOWNLOAD_RESPONSES)
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return file_download_response(self.get_object())

    # Only the upload itself is multipart; the other bodies are JSON.
    @extend_schema(request=ShareLinkCreateSerializer, responses={201: ShareLinkSerializer})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def links(self, request, pk=None):
        stored_file = self.get_object()
        serializer = ShareLinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.file_share_link_create(
            stored_file=stored_file, expires_in=serializer.validated_data["expires_in"]
        )
        url = link.url or reverse("shared-file", args=[link.token], request=request)
        return Response(
            {"url": url, "expires_at": link.expires_at}, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=DirectUploadStartSerializer, responses={201: DirectUploadSerializer})
    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    def uploads(self, request):
        serializer = DirectUploadStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = services.direct_upload_start(owner=request.user, **serializer.validated_data)
        return Response(DirectUploadSerializer(upload).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: StoredFileSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        pending = generics.get_object_or_404(
            StoredFile.objects.filter(owner=request.user, status=StoredFile.Status.PENDING),
            pk=pk,
        )
        stored_file = services.direct_upload_complete(stored_file=pending)
        return Response(StoredFileSerializer(stored_file).data)


class SharedFileView(generics.GenericAPIView):
    """Serve a file through a share link (local storage; S3 links go to the bucket)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = None

    @extend_schema(responses=DOWNLOAD_RESPONSES)
    def get(self, request, token: str):
        return file_download_response(services.shared_file_resolve(token=token))


def file_download_response(stored_file: StoredFile):
    """Redirect to a presigned URL, or stream the file when it is on local disk."""
    storage = file_storage()
    if supports_presigned_urls(storage):
        return HttpResponseRedirect(services.file_presigned_url(stored_file=stored_file))
    response = FileResponse(
        services.file_open(stored_file=stored_file),
        as_attachment=True,
        filename=stored_file.filename,
        content_type=stored_file.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
