from django.urls import path

from souk.catalog.api import views

app_name = "catalog"

urlpatterns = [
    path("categories/", views.CategoryListView.as_view(), name="category-list"),
    path("categories/<int:pk>/", views.CategoryDetailView.as_view(), name="category-detail"),
    path(
        "categories/<int:pk>/restore/",
        views.CategoryRestoreView.as_view(),
        name="category-restore",
    ),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/geosearch/", views.GeosearchView.as_view(), name="product-geosearch"),
    path("products/suggest/", views.SuggestView.as_view(), name="product-suggest"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product-detail"),
    path("products/<int:pk>/restore/", views.ProductRestoreView.as_view(), name="product-restore"),
    path("products/<int:pk>/variants/", views.VariantListView.as_view(), name="variant-list"),
    path(
        "products/<int:pk>/variants/<int:vid>/",
        views.VariantDetailView.as_view(),
        name="variant-detail",
    ),
    path(
        "products/<int:pk>/variants/<int:vid>/restore/",
        views.VariantRestoreView.as_view(),
        name="variant-restore",
    ),
    path("products/<int:pk>/images/", views.ImageUploadView.as_view(), name="image-list"),
    path(
        "products/<int:pk>/images/<int:iid>/", views.ImageDetailView.as_view(), name="image-detail"
    ),
    path(
        "products/<int:pk>/images/<int:iid>/restore/",
        views.ImageRestoreView.as_view(),
        name="image-restore",
    ),
    path("products/<int:pk>/reviews/", views.ReviewListView.as_view(), name="review-list"),
    path(
        "products/<int:pk>/reviews/<int:rid>/",
        views.ReviewDetailView.as_view(),
        name="review-detail",
    ),
    path(
        "products/<int:pk>/reviews/<int:rid>/restore/",
        views.ReviewRestoreView.as_view(),
        name="review-restore",
    ),
    path("search/products/", views.SearchProductsView.as_view(), name="search-products"),
]
