"""Views that raise each kind of error, to test the problem-details contract end to end."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.http import Http404
from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from config.api.exceptions import ApplicationError
from config.urls import handler500  # noqa: F401  (the project's 500 handler applies here too)
from config.urls import urlpatterns as project_urlpatterns


class QuotaExceeded(ApplicationError):
    status_code = 413
    code = "quota_exceeded"
    default_detail = "You have used all of your storage."


class NestedSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=5)


class EchoSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField(min_value=0)
    children = NestedSerializer(many=True, required=False)


class OncePerMinuteThrottle(SimpleRateThrottle):
    rate = "1/min"

    def get_cache_key(self, request, view):
        return "test-throttle"


def raising(exception):
    class RaisingView(APIView):
        authentication_classes = []
        permission_classes = []

        def get(self, request):
            raise exception

    return RaisingView.as_view()


class EchoView(GenericAPIView):
    authentication_classes = []
    permission_classes = []
    serializer_class = EchoSerializer

    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class ThrottledView(GenericAPIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = [OncePerMinuteThrottle]
    serializer_class = EchoSerializer

    def get(self, request):
        return Response({"ok": True})


class ProtectedView(GenericAPIView):
    serializer_class = EchoSerializer

    def get(self, request):
        return Response({"user": str(request.user.pk)})


def crash(request):
    raise RuntimeError("boom: secret internals")


def database_down(request):
    # A plain Django view (no DRF): Django's handler500 must still answer the 503.
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


errors = [
    path("application", raising(QuotaExceeded())),
    path(
        "django-validation",
        raising(ValidationError({"email": ValidationError("Taken.", code="unique")})),
    ),
    path("django-validation-plain", raising(ValidationError("Broken.", code="broken"))),
    path("django-permission", raising(PermissionDenied())),
    path("django-404", raising(Http404())),
    path("drf-crash", raising(RuntimeError("boom: secret internals"))),
    path("plain-crash", crash),
    path("plain-database-down", database_down),
    path("echo", EchoView.as_view()),
    path("throttled", ThrottledView.as_view()),
    path("protected", ProtectedView.as_view()),
]

urlpatterns = [path("api/test/", include(errors)), *project_urlpatterns]
