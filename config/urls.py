from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from souk.core.metrics import metrics_view
from souk.core.views import HealthView, ReadyView


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the API's docs, the admin)."""
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))


# Every route is distinct, so the order of the apps only decides how many patterns a request
# is tried against: the purchase routes (orders, cart, checkout) come first.
api_patterns: list[URLPattern | URLResolver] = [
    path("", include("souk.orders.api.urls")),
    path("", include("souk.accounts.api.urls")),
    path("", include("souk.shops.api.urls")),
    path("", include("souk.catalog.api.urls")),
    path("", include("souk.inventory.api.urls")),
    path("", include("souk.payments.api.urls")),
    path("", include("souk.notifications.api.urls")),
    path("", include("souk.analytics.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema.yaml", SpectacularAPIView.as_view(), name="schema-yaml"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    path("favicon.ico", favicon),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("readyz", ReadyView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # The web pages: the shopper's (`/` is their home page; JSON for API clients), /studio/.
    path("", include("souk.web.urls")),
]

if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    # Uploaded media from local storage; S3-compatible storage serves its own URLs.
    urlpatterns.append(
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    )


handler400 = "souk.core.views.bad_request"
handler403 = "souk.core.views.permission_denied"
handler404 = "souk.core.views.not_found"
handler500 = "souk.core.views.server_error"
