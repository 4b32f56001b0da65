from django.urls import URLPattern, path

from souk.web.views import studio_catalog, studio_products

urlpatterns: list[URLPattern] = [
    path("inventory/", studio_catalog.inventory, name="inventory"),
    path("alerts/<int:pk>/dismiss/", studio_catalog.alert_dismiss, name="alert-dismiss"),
    path("purchases/", studio_catalog.purchases, name="purchases"),
    path("adjust/", studio_catalog.adjust, name="adjust"),
    path("products/", studio_products.products, name="products"),
    path("products/new/", studio_products.product_new, name="product-new"),
    path("products/<int:pk>/", studio_products.product_edit, name="product-edit"),
    path("products/<int:pk>/delete/", studio_products.product_delete, name="product-delete"),
    path("products/<int:pk>/images/", studio_products.product_images, name="product-images"),
]
