"""The pages' routes: the shopper's under `/` (namespace `shop`), the studio's under `/studio/`
(namespace `studio`). Each area keeps its own module."""

from django.urls import include, path

from souk.web.urls import (
    account,
    cart,
    catalog,
    orders,
    studio_catalog,
    studio_dashboard,
    studio_orders,
    studio_shop,
)

shop_patterns = [
    *catalog.urlpatterns,
    *cart.urlpatterns,
    *orders.urlpatterns,
    *account.urlpatterns,
]
studio_patterns = [
    *studio_dashboard.urlpatterns,
    *studio_orders.urlpatterns,
    *studio_catalog.urlpatterns,
    *studio_shop.urlpatterns,
]

urlpatterns = [
    path("studio/", include((studio_patterns, "studio"))),
    path("", include((shop_patterns, "shop"))),
]
