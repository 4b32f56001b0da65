from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from souk.catalog.models import Category, Product, ProductImage, Review, SearchTerm, Variant
from souk.catalog.selectors.categories import category_cache_clear
from souk.catalog.services.categories import category_delete, category_restore
from souk.catalog.services.products import product_delete, product_restore
from souk.catalog.services.reviews import review_delete, review_restore
from souk.shops.admin import GridPointAdmin, SoftDeleteAdmin


@admin.register(Category)
class CategoryAdmin(SoftDeleteAdmin, TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ["name", "slug", "deleted_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["deleted_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        category_cache_clear()

    def soft_delete(self, request, obj):
        category_delete(category=obj)

    def restore(self, request, obj):
        category_restore(category=obj)


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "price", "quantity", "attributes", "position", "deleted_at"]
    # Stock moves only through the inventory ledger (adjustments, purchases, orders).
    readonly_fields = ["quantity", "deleted_at"]
    # A variant is removed (soft deleted) through the API, which keeps the last one.
    can_delete = False

    def get_queryset(self, request):
        return Variant.all_objects.all()


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["image", "thumbnail", "alt", "position", "width", "height"]
    readonly_fields = ["thumbnail", "width", "height"]
    # Photos are removed (soft deleted) through the API.
    can_delete = False


@admin.register(Product)
class ProductAdmin(SoftDeleteAdmin, GridPointAdmin):
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

    def get_queryset(self, request):
        return Product.all_objects.select_related("shop", "category").defer(
            "search_vector", "name_vector"
        )

    def soft_delete(self, request, obj):
        product_delete(actor=request.user, product=obj)

    def restore(self, request, obj):
        product_restore(product=obj)


@admin.register(SearchTerm)
class SearchTermAdmin(admin.ModelAdmin):
    list_display = ["term", "product_count"]
    search_fields = ["term"]


@admin.register(Review)
class ReviewAdmin(SoftDeleteAdmin):
    list_display = ["product", "customer", "rating", "title", "created_at", "deleted_at"]
    list_filter = ["rating", "deleted_at"]
    search_fields = ["product__name", "customer__email", "title"]
    raw_id_fields = ["product", "customer"]
    readonly_fields = ["product", "customer", "rating", "created_at", "deleted_at"]

    def get_queryset(self, request):
        return Review.all_objects.select_related("product", "customer")

    def has_add_permission(self, request):
        return False

    def soft_delete(self, request, obj):
        review_delete(actor=request.user, review=obj)

    def restore(self, request, obj):
        review_restore(review=obj)
