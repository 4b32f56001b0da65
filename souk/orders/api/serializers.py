from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from souk.accounts.models import Address
from souk.core.serializers import LocationField, MoneyField, PrimaryKeyOnlyField, RefSerializer
from souk.orders.models import Checkout, Coupon, DeliverySchedule, Order, OrderItem
from souk.orders.services.cart import MAX_LINE_QUANTITY
from souk.shops.models import Shop

MAX_ORDER_LINES = 100


def quantity_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, **kwargs)


# --- Cart ------------------------------------------------------------------------------------


class CartLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    variant = serializers.IntegerField()
    sku = serializers.CharField()
    product = RefSerializer()
    shop = RefSerializer()
    quantity = serializers.IntegerField()
    unit_price = MoneyField(help_text="The variant's price now.")
    line_total = MoneyField()
    available = serializers.BooleanField(
        help_text="false when the variant is gone or has less stock than this line asks for; "
        "such lines are left out of the totals and block checkout."
    )
    stock = serializers.IntegerField(help_text="Units in stock now.")


class CartCouponSerializer(serializers.Serializer):
    code = serializers.CharField()
    valid = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class CartSerializer(serializers.Serializer):
    items = CartLineSerializer(many=True)
    subtotal = MoneyField()
    discount = MoneyField()
    total = MoneyField()
    currency = serializers.CharField()
    coupon = CartCouponSerializer(allow_null=True)


class CartItemAddSerializer(serializers.Serializer):
    variant = serializers.IntegerField(required=False, min_value=1)
    product = serializers.IntegerField(
        required=False, min_value=1, help_text="A product that has a single variant."
    )
    quantity = quantity_field(default=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("variant" in attrs) == ("product" in attrs):
            raise serializers.ValidationError({"variant": ["Give either variant or product."]})
        return attrs


class CartItemUpdateSerializer(serializers.Serializer):
    quantity = quantity_field()


class CouponCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)


# --- Placing orders --------------------------------------------------------------------------


# An address given inline at checkout: the address book's fields; never saved.
class AddressInputSerializer(serializers.ModelSerializer):
    country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2")
    location = LocationField(required=False, allow_null=True)

    class Meta:
        model = Address
        fields = [*Address.TEXT_FIELDS, "location"]
        extra_kwargs = {"phone": {"max_length": 32}}


class DeliveryInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=DeliverySchedule.Method.choices,
        required=False,
        help_text="Default: delivery to the given or default address; pickup when you have no "
        "address at all. delivery with no address anywhere is 400.",
    )
    window_start = serializers.DateTimeField(required=False, allow_null=True)
    window_end = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PlacementSerializer(serializers.Serializer):
    shipping_address = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="One of your addresses. Without it (and without `address`) your default "
        "address is used; with no address at all the order is a pickup.",
    )
    address = AddressInputSerializer(required=False, help_text="An address given inline.")
    coupon = serializers.CharField(max_length=40, required=False, allow_blank=True)
    delivery = DeliveryInputSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "shipping_address" in attrs and "address" in attrs:
            raise serializers.ValidationError(
                {"address": ["Give shipping_address or address, not both."]}
            )
        return attrs


class CheckoutCreateSerializer(PlacementSerializer):
    coupon = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="A coupon code; by default the one on the cart.",
    )


class OrderLineInputSerializer(serializers.Serializer):
    variant = serializers.IntegerField(required=False, min_value=1)
    product = serializers.IntegerField(
        required=False, min_value=1, help_text="A product that has a single variant."
    )
    quantity = quantity_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("variant" in attrs) == ("product" in attrs):
            raise serializers.ValidationError({"variant": ["Give either variant or product."]})
        return attrs


class OrderCreateSerializer(PlacementSerializer):
    shop = PrimaryKeyOnlyField(queryset=Shop.objects.all())
    items = OrderLineInputSerializer(  # type: ignore[call-arg]
        many=True, allow_empty=False, max_length=MAX_ORDER_LINES
    )


# --- Orders ----------------------------------------------------------------------------------


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class OrderItemSerializer(serializers.ModelSerializer):
    unit_price = MoneyField()
    line_total = MoneyField()

    class Meta:
        model = OrderItem
        fields = ["id", "product", "variant", "sku", "name", "unit_price", "quantity", "line_total"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliverySchedule
        fields = [
            "method",
            "window_start",
            "window_end",
            "carrier",
            "tracking_number",
            "status",
            "notes",
            "updated_at",
        ]
        read_only_fields = fields


class DeliveryUpdateSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=DeliverySchedule.Method.choices, required=False)
    window_start = serializers.DateTimeField(required=False, allow_null=True)
    window_end = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True)
    carrier = serializers.CharField(max_length=100, required=False, allow_blank=True)
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True)


class OrderSerializer(serializers.ModelSerializer):
    shop = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    items = OrderItemSerializer(many=True, read_only=True)
    subtotal = MoneyField()
    discount = MoneyField()
    total = MoneyField()
    delivery = serializers.SerializerMethodField()
    coupon = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "shop",
            "customer",
            "checkout",
            "status",
            "items",
            "subtotal",
            "discount",
            "total",
            "currency",
            "coupon",
            "shipping_address",
            "delivery",
            "payment_status",
            "created_at",
            "paid_at",
            "expires_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RefSerializer)
    def get_shop(self, order: Order) -> dict[str, Any]:
        return {"id": order.shop_id, "name": order.shop.name}

    @extend_schema_field(CustomerSerializer)
    def get_customer(self, order: Order) -> dict[str, Any]:
        user = order.customer
        return {"id": user.pk, "name": user.get_full_name() or user.email, "email": user.email}

    @extend_schema_field(DeliverySerializer(allow_null=True))
    def get_delivery(self, order: Order) -> dict[str, Any] | None:
        schedule = getattr(order, "delivery", None)
        return DeliverySerializer(schedule).data if schedule is not None else None

    def get_coupon(self, order: Order) -> str | None:
        return order.coupon.code if order.coupon_id and order.coupon else None


class CheckoutSerializer(serializers.ModelSerializer):
    orders = OrderSerializer(many=True, read_only=True)
    subtotal = MoneyField()
    discount = MoneyField()
    total = MoneyField()

    class Meta:
        model = Checkout
        fields = [
            "id",
            "orders",
            "subtotal",
            "discount",
            "total",
            "currency",
            "shipping_address",
            "expires_at",
            "created_at",
        ]
        read_only_fields = fields


class OrderListQuerySerializer(serializers.Serializer):
    shop = serializers.IntegerField(
        required=False, min_value=1, help_text="Members: that shop's orders."
    )
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices)


# --- Coupons ---------------------------------------------------------------------------------


class CouponSerializer(serializers.ModelSerializer):
    value = MoneyField(help_text="Percent (0-100] or an amount in the platform currency.")
    min_subtotal = MoneyField()
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Coupon
        fields = [
            "id",
            "code",
            "shop",
            "kind",
            "value",
            "currency",
            "min_subtotal",
            "starts_at",
            "ends_at",
            "max_uses",
            "max_uses_per_customer",
            "uses",
            "created_at",
        ]
        read_only_fields = fields

    def get_currency(self, coupon: Coupon) -> str:
        return str(settings.CURRENCY)


class CouponWriteSerializer(serializers.Serializer):
    code = serializers.RegexField(
        r"^[A-Za-z0-9_-]{3,40}$",
        help_text="3 to 40 letters, digits, - or _; stored upper-case.",
    )
    shop = serializers.PrimaryKeyRelatedField(
        queryset=Shop.objects.all(),
        required=False,
        allow_null=True,
        help_text="Omit (or null) for a platform-wide coupon (administrators only).",
    )
    kind = serializers.ChoiceField(choices=Coupon.Kind.choices)
    value = MoneyField(min_value=Decimal("0.01"), max_value=Decimal("99999999"))
    min_subtotal = MoneyField(min_value=Decimal("0"), max_value=Decimal("99999999"), required=False)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    max_uses = serializers.IntegerField(
        min_value=1, max_value=10_000_000, required=False, allow_null=True
    )
    max_uses_per_customer = serializers.IntegerField(
        min_value=1, max_value=10_000_000, required=False, allow_null=True
    )
