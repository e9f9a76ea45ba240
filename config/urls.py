from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# A backing service down answers 503 wherever it happens, not Django's 500 page.
handler500 = "config.api.error_pages.server_error"

admin.site.site_header = "Keel administration"
admin.site.site_title = "Keel admin"
admin.site.index_title = "Users, roles and data"

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("items.urls")),
    path("", include("storage.urls")),
    # startresource: new resources go above this line
]

# /health/live, /health/ready and /metrics are answered by config.ops.probes.ProbeMiddleware,
# ahead of host validation and the HTTPS redirect.
urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/graphql/", include("graphql_api.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]
