from django.urls import path
from rest_framework.routers import SimpleRouter

from storage.views import SharedFileView, StoredFileViewSet

router = SimpleRouter()
router.register("files", StoredFileViewSet, basename="storedfile")

urlpatterns = [
    path("files/shared/<str:token>/", SharedFileView.as_view(), name="shared-file"),
    *router.urls,
]
