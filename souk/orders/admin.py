from django.contrib import admin, messages

from souk.orders.models import (
    Cart,
    CartItem,
    Checkout,
    Coupon,
    CouponRedemption,
    DeliverySchedule,
    Order,
    OrderEvent,
    OrderItem,
)
from souk.orders.services.lifecycle import order_cancel, order_mark_paid


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = readonly_fields = (
        "product",
        "variant",
        "sku",
        "name",
        "unit_price",
        "quantity",
        "line_total",
    )


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = (
        "event",
        "actor",
        "created_at",
    )


class DeliveryInline(admin.StackedInline):
    model = DeliverySchedule
    extra = 0
    can_delete = False
    fields = [
        "method",
        "window_start",
        "window_end",
        "carrier",
        "tracking_number",
        "status",
        "notes",
    ]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "shop",
        "customer",
        "status",
        "payment_status",
        "total",
        "currency",
        "created_at",
        "deleted_at",
    ]
    list_filter = ["status", "payment_status", "deleted_at"]
    search_fields = ["number", "customer__email", "shop__name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["shop", "customer", "checkout", "coupon"]
    # Money, status and stock move only through the order services (actions below).
    readonly_fields = [
        "number",
        "shop",
        "customer",
        "checkout",
        "status",
        "payment_status",
        "subtotal",
        "discount",
        "total",
        "currency",
        "coupon",
        "shipping_address",
        "expires_at",
        "paid_at",
        "cancelled_at",
        "stock_returned_at",
        "created_at",
        "updated_at",
        "deleted_at",
    ]
    inlines = [OrderItemInline, DeliveryInline, OrderEventInline]
    actions = ["mark_paid", "cancel_orders", "restore_orders"]

    def get_queryset(self, request):
        return Order.all_objects.select_related("shop", "customer")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark the selected unpaid orders as paid")
    def mark_paid(self, request, queryset):
        done = sum(
            order_mark_paid(order_id=pk, actor=request.user)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{done} order(s) marked paid.", messages.SUCCESS)

    @admin.action(description="Cancel the selected orders (stock back, refund if paid)")
    def cancel_orders(self, request, queryset):
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                order_cancel(order_id=pk, actor=request.user)
                done += 1
            except Exception as exc:  # noqa: BLE001 - reported to the administrator
                self.message_user(request, f"Order {pk}: {exc}", messages.WARNING)
        self.message_user(request, f"{done} order(s) cancelled.", messages.SUCCESS)

    @admin.action(description="Restore the selected deleted orders")
    def restore_orders(self, request, queryset):
        restored = queryset.filter(deleted_at__isnull=False).update(deleted_at=None)
        self.message_user(request, f"{restored} order(s) restored.", messages.SUCCESS)


@admin.register(Checkout)
class CheckoutAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "total", "currency", "created_at", "expires_at"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "coupon"]
    readonly_fields = [
        "user",
        "shipping_address",
        "coupon",
        "subtotal",
        "discount",
        "total",
        "currency",
        "expires_at",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False


class CartItemInline(admin.TabularInline):
    model = CartItem
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["user", "coupon", "updated_at"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "coupon"]
    inlines = [CartItemInline]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "shop",
        "kind",
        "value",
        "uses",
        "max_uses",
        "starts_at",
        "ends_at",
        "deleted_at",
    ]
    list_filter = ["kind", "deleted_at"]
    search_fields = ["code", "shop__name"]
    raw_id_fields = ["shop", "created_by"]
    readonly_fields = ["uses", "created_at", "deleted_at"]
    actions = ["restore_coupons"]

    def get_queryset(self, request):
        return Coupon.all_objects.select_related("shop")

    @admin.action(description="Restore the selected deleted coupons")
    def restore_coupons(self, request, queryset):
        queryset.filter(deleted_at__isnull=False).update(deleted_at=None)


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(admin.ModelAdmin):
    list_display = ["coupon", "user", "checkout", "order", "amount", "created_at", "released_at"]
    raw_id_fields = ["coupon", "user", "checkout", "order"]
    readonly_fields = ["coupon", "user", "checkout", "order", "amount", "created_at", "released_at"]

    def has_add_permission(self, request):
        return False
