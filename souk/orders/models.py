from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from souk.catalog.models import Product, Variant
from souk.core.models import SoftDeleteModel, TimeStampedModel
from souk.shops.models import Shop

ZERO = Decimal("0.00")


class Coupon(SoftDeleteModel, TimeStampedModel):
    """A discount code: a percentage or a fixed amount, for one shop's products or the whole
    platform, with a validity window, a minimum subtotal and usage limits."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent"
        FIXED = "fixed", "Fixed amount"

    code = models.CharField(max_length=40)
    shop = models.ForeignKey(
        Shop, null=True, blank=True, on_delete=models.CASCADE, related_name="coupons"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.DecimalField(max_digits=12, decimal_places=2)
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(deleted_at__isnull=True), name="orders_coupon_code"
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="orders_coupon_value_gt_0"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="orders_coupon_uses_within_max",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def permission_shop(self) -> Shop | None:
        return self.shop


class Cart(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart"
    )
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"cart of {self.user_id}"


class CartItem(TimeStampedModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="orders_cartitem_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_cartitem_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"


class Checkout(TimeStampedModel):
    """One checkout of a cart: one order per shop, paid together."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkouts"
    )
    # None for a pickup by a buyer who has no address.
    shipping_address = models.JSONField(null=True, blank=True)
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"checkout {self.pk}"


class Order(SoftDeleteModel, TimeStampedModel):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        PAID = "paid", "Paid"
        PROCESSING = "processing", "Processing"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", "Unpaid"
        PAID = "paid", "Paid"
        REFUND_PENDING = "refund_pending", "Refund pending"
        REFUNDED = "refunded", "Refunded"

    number = models.CharField(max_length=20, unique=True)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    checkout = models.ForeignKey(
        Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT)
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # None for a pickup by a buyer who has no address.
    shipping_address = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set in the same transaction that puts the stock back: never twice.
    stock_returned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="orders_order_customer"),
            models.Index(fields=["shop", "-created_at"], name="orders_order_shop"),
            models.Index(
                fields=["expires_at"],
                name="orders_order_unpaid",
                condition=Q(status="pending_payment"),
            ),
            # Dashboards: a shop's paid orders of a period, read from the index alone.
            models.Index(
                fields=["shop", "paid_at"],
                include=["status", "total", "customer"],
                name="orders_order_shop_paid",
                condition=Q(paid_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") - models.F("discount")),
                name="orders_order_total_is_subtotal_minus_discount",
            ),
            models.CheckConstraint(condition=Q(discount__gte=0), name="orders_order_discount"),
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_gte_0"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def permission_shop(self) -> Shop:
        return self.shop


class OrderItem(models.Model):
    """A line as it was when ordered: name, SKU and unit price are copies."""

    # Indexed by `orders_item_order` below, which also carries what dashboards read.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", db_index=False)
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # The line's revenue: line_total less its share of the order's discount (shares split in
    # proportion to the line totals, to the cent; they add up to the discount, so an order's
    # net totals add up to its total).
    net_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["variant"], name="orders_item_variant"),
            models.Index(
                fields=["order"],
                include=["product", "quantity", "net_total"],
                name="orders_item_order",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_item_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(line_total=models.F("unit_price") * models.F("quantity")),
                name="orders_item_line_total",
            ),
            models.CheckConstraint(
                condition=Q(net_total__gte=0, net_total__lte=models.F("line_total")),
                name="orders_item_net_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class CouponRedemption(models.Model):
    """A use of a coupon by a checkout or a direct order; released if the order is cancelled
    or expires unpaid."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    checkout = models.ForeignKey(
        Checkout, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["coupon", "user"], name="orders_redemption_user")]

    def __str__(self) -> str:
        return f"{self.coupon_id} by {self.user_id}"


class DeliverySchedule(TimeStampedModel):
    class Method(models.TextChoices):
        DELIVERY = "delivery", "Delivery"
        PICKUP = "pickup", "Pickup"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_TRANSIT = "in_transit", "In transit"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="delivery")
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.DELIVERY)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=State.choices, default=State.SCHEDULED)
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gt=models.F("window_start")),
                name="orders_delivery_window_order",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery of {self.order_id}"


class OrderEvent(models.Model):
    """The order's history: every placement and status change, and who made it. Whom each
    event concerns is told through the notifications outbox, written in the same transaction."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.event}"
