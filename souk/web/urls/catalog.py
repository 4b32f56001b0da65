"""The shopper's catalog pages: home, search and its suggestions, near me, products, shops."""

from django.urls import URLPattern, path

from souk.web.views import catalog

urlpatterns: list[URLPattern] = [
    path("", catalog.home, name="home"),
    path("search/", catalog.search, name="search"),
    path("search/suggest/", catalog.suggest, name="suggest"),
    path("near/", catalog.near_me, name="map"),
    path("products/<int:pk>/", catalog.product_detail, name="product"),
    path("products/<int:pk>/reviews/", catalog.review_add, name="review-add"),
    path("shops/<int:pk>/", catalog.shop_detail, name="shop"),
]
