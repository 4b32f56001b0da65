from django.urls import URLPattern, path

from souk.web.views import studio_shop

urlpatterns: list[URLPattern] = [
    path("shop/", studio_shop.shop_settings, name="shop"),
    path("shop/new/", studio_shop.shop_new, name="shop-new"),
    path("staff/", studio_shop.staff, name="staff"),
    path("staff/<int:user_id>/remove/", studio_shop.staff_remove, name="staff-remove"),
]
