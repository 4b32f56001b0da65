"""The site's routes plus a stand-in for the cart's add route (owned by the cart pages), to
test that the product page offers its form when that route exists."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as site_patterns
from souk.web.urls import shop_patterns, studio_patterns


def cart_add(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


def _is_web(pattern: object) -> bool:
    return getattr(getattr(pattern, "urlconf_name", None), "__name__", "") == "souk.web.urls"


urlpatterns = [
    *[pattern for pattern in site_patterns if not _is_web(pattern)],
    path("studio/", include((studio_patterns, "studio"))),
    path("", include(([*shop_patterns, path("cart/add/", cart_add, name="cart-add")], "shop"))),
]
