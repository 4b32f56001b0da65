from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from souk.catalog.models import Category, Product, ProductImage, Review, SearchTerm, Variant
from souk.catalog.selectors.categories import category_cache_clear
from souk.catalog.services.products import product_restore


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        category_cache_clear()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        category_cache_clear()


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "price", "quantity", "attributes", "position", "deleted_at"]
    # Stock moves only through the inventory ledger (adjustments, purchases, orders).
    readonly_fields = ["quantity", "deleted_at"]

    def get_queryset(self, request):
        return Variant.all_objects.all()


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["image", "thumbnail", "alt", "position", "width", "height"]
    readonly_fields = ["thumbnail", "width", "height"]


@admin.register(Product)
class ProductAdmin(GISModelAdmin):
    list_display = ["name", "shop", "category", "price_min", "rating", "created_at", "deleted_at"]
    list_filter = ["deleted_at", "category"]
    search_fields = ["name", "shop__name"]
    raw_id_fields = ["shop", "category"]
    readonly_fields = [
        "price_min",
        "rating",
        "review_count",
        "search_score",
        "category_text",
        "created_at",
        "deleted_at",
    ]
    exclude = ["search_vector", "name_vector"]
    inlines = [VariantInline, ProductImageInline]
    actions = ["restore_products"]

    def get_queryset(self, request):
        return Product.all_objects.select_related("shop", "category").defer(
            "search_vector", "name_vector"
        )

    @admin.action(description="Restore the selected products (and their variants)")
    def restore_products(self, request, queryset):
        for product in queryset.filter(deleted_at__isnull=False):
            product_restore(product=product)


@admin.register(SearchTerm)
class SearchTermAdmin(admin.ModelAdmin):
    list_display = ["term", "product_count"]
    search_fields = ["term"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["product", "customer", "rating", "title", "created_at"]
    list_filter = ["rating"]
    search_fields = ["product__name", "customer__email", "title"]
    raw_id_fields = ["product", "customer"]
    readonly_fields = ["product", "customer", "rating", "created_at"]

    def has_add_permission(self, request):
        return False
