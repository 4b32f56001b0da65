from django.urls import path

from souk.catalog.api.views import categories, discovery, images, products, reviews, variants

app_name = "catalog"

urlpatterns = [
    path("categories/", categories.CategoryListView.as_view(), name="category-list"),
    path("categories/<int:pk>/", categories.CategoryDetailView.as_view(), name="category-detail"),
    path(
        "categories/<int:pk>/restore/",
        categories.CategoryRestoreView.as_view(),
        name="category-restore",
    ),
    path("products/", products.ProductListView.as_view(), name="product-list"),
    path("products/geosearch/", discovery.GeosearchView.as_view(), name="product-geosearch"),
    path("products/suggest/", discovery.SuggestView.as_view(), name="product-suggest"),
    path("products/<int:pk>/", products.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/<int:pk>/restore/", products.ProductRestoreView.as_view(), name="product-restore"
    ),
    path("products/<int:pk>/variants/", variants.VariantListView.as_view(), name="variant-list"),
    path(
        "products/<int:pk>/variants/<int:vid>/",
        variants.VariantDetailView.as_view(),
        name="variant-detail",
    ),
    path(
        "products/<int:pk>/variants/<int:vid>/restore/",
        variants.VariantRestoreView.as_view(),
        name="variant-restore",
    ),
    path("products/<int:pk>/images/", images.ImageUploadView.as_view(), name="image-list"),
    path(
        "products/<int:pk>/images/<int:iid>/", images.ImageDetailView.as_view(), name="image-detail"
    ),
    path(
        "products/<int:pk>/images/<int:iid>/restore/",
        images.ImageRestoreView.as_view(),
        name="image-restore",
    ),
    path("products/<int:pk>/reviews/", reviews.ReviewListView.as_view(), name="review-list"),
    path(
        "products/<int:pk>/reviews/<int:rid>/",
        reviews.ReviewDetailView.as_view(),
        name="review-detail",
    ),
    path(
        "products/<int:pk>/reviews/<int:rid>/restore/",
        reviews.ReviewRestoreView.as_view(),
        name="review-restore",
    ),
    path("search/products/", discovery.SearchProductsView.as_view(), name="search-products"),
]
