from django.contrib import admin, messages
from django.contrib.gis.admin import GISModelAdmin

from souk.shops.models import Shop, ShopMember
from souk.shops.services import shop_delete, shop_restore


class ShopMemberInline(admin.TabularInline):
    model = ShopMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(GISModelAdmin):
    list_display = ["name", "owner", "product_count", "rating", "created_at", "deleted_at"]
    list_filter = ["deleted_at"]
    search_fields = ["name", "slug", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = ["product_count", "rating", "review_count", "deleted_at", "created_at"]
    inlines = [ShopMemberInline]
    actions = ["close_shops", "restore_shops"]

    def get_queryset(self, request):
        return Shop.all_objects.select_related("owner")

    @admin.action(description="Close (soft delete) the selected shops and their products")
    def close_shops(self, request, queryset):
        for shop in queryset.filter(deleted_at__isnull=True):
            shop_delete(shop=shop)
        messages.success(request, "Closed.")

    @admin.action(description="Restore the selected shops and the products closing hid")
    def restore_shops(self, request, queryset):
        for shop in queryset.filter(deleted_at__isnull=False):
            shop_restore(shop=shop)
        messages.success(request, "Restored.")


@admin.register(ShopMember)
class ShopMemberAdmin(admin.ModelAdmin):
    list_display = ["shop", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["shop__name", "user__email"]
    raw_id_fields = ["shop", "user"]
