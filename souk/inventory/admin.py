from django.contrib import admin

from souk.inventory.models import InventoryAlert, Purchase, PurchaseItem, StockMovement


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger and its sources are written only by the inventory services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "variant",
        "shop",
        "delta",
        "reason",
        "reference",
        "quantity_after",
        "actor",
        "created_at",
    ]
    list_filter = ["reason"]
    search_fields = ["reference", "variant__sku", "shop__name"]
    raw_id_fields = ["variant", "shop", "actor"]


class PurchaseItemInline(admin.TabularInline):
    model = PurchaseItem
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "variant",
        "quantity",
        "unit_cost",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["id", "shop", "supplier", "reference", "purchased_at", "reversed_at"]
    search_fields = ["supplier", "reference", "shop__name"]
    inlines = [PurchaseItemInline]


@admin.register(InventoryAlert)
class InventoryAlertAdmin(ReadOnlyAdmin):
    list_display = [
        "variant",
        "shop",
        "quantity",
        "threshold",
        "created_at",
        "resolved_at",
        "dismissed_at",
        "dismissed_by",
    ]
    list_filter = ["resolved_at", "dismissed_at"]
    raw_id_fields = ["variant", "shop", "dismissed_by"]
    search_fields = ["variant__sku", "shop__name"]
