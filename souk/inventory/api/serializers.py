from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from souk.core.serializers import MoneyField, RefSerializer
from souk.inventory.models import Purchase, StockMovement
from souk.shops.models import Shop

MAX_UNITS = 1_000_000
MAX_PURCHASE_LINES = 200


class InventoryRowSerializer(serializers.Serializer):
    variant = serializers.IntegerField()
    sku = serializers.CharField()
    product = RefSerializer()
    quantity = serializers.IntegerField(help_text="Units in stock (free to sell).")
    reserved = serializers.IntegerField(
        help_text="Units held by orders awaiting payment (already taken out of `quantity`; "
        "they come back if those orders expire or are cancelled)."
    )
    low_stock = serializers.BooleanField()


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop = RefSerializer()
    product = RefSerializer()
    variant = serializers.IntegerField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField(help_text="The variant's stock now.")
    threshold = serializers.IntegerField(help_text="The low-stock threshold it fell to.")
    message = serializers.CharField(
        help_text='A sentence for people, e.g. "Only 2 left of Blue mug (SKU MUG-BLU); '
        'threshold 3."'
    )
    created_at = serializers.DateTimeField(help_text="When the alert was raised.")


class ShopQuerySerializer(serializers.Serializer):
    shop = serializers.IntegerField(min_value=1)


class AlertQuerySerializer(serializers.Serializer):
    shop = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The shop whose alerts to list; required unless you are an administrator "
        "(who then sees every shop's).",
    )


class MovementQuerySerializer(ShopQuerySerializer):
    variant = serializers.IntegerField(min_value=1, required=False)


class MovementSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "variant",
            "delta",
            "reason",
            "reference",
            "quantity_after",
            "actor",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_actor(self, movement: StockMovement) -> dict[str, Any] | None:
        user = movement.actor
        if user is None:
            return None
        return {"id": user.pk, "name": user.get_full_name() or user.email}


class AdjustmentSerializer(serializers.Serializer):
    variant = serializers.IntegerField(min_value=1)
    delta = serializers.IntegerField(min_value=-MAX_UNITS, max_value=MAX_UNITS)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate_delta(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("Use a non-zero change.")
        return value


_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateOrDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time (UTC when it names no offset); a plain date (`2026-03-01`) means
    its midnight UTC."""

    default_error_messages = {
        "invalid": "Use an ISO 8601 date-time (YYYY-MM-DDThh:mm[:ss][+HH:MM|Z]) or a date "
        "(YYYY-MM-DD).",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=UTC, **kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str) and _PLAIN_DATE.fullmatch(value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                self.fail("invalid")
            return datetime.combine(day, time.min, tzinfo=UTC)
        parsed: datetime = super().to_internal_value(value)
        return parsed


class PurchaseLineSerializer(serializers.Serializer):
    variant = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_UNITS)
    unit_cost = MoneyField(min_value=Decimal("0"), max_value=Decimal("99999999"))


class PurchaseCreateSerializer(serializers.Serializer):
    shop = serializers.PrimaryKeyRelatedField(queryset=Shop.objects.all())
    supplier = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    purchased_at = DateOrDateTimeField(
        help_text="ISO 8601 date-time; a plain date (`2026-03-01`) means its midnight UTC. "
        "Not in the future."
    )
    items = PurchaseLineSerializer(  # type: ignore[call-arg]
        many=True, allow_empty=False, max_length=MAX_PURCHASE_LINES
    )

    def validate_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        variants = [line["variant"] for line in items]
        if len(set(variants)) != len(variants):
            raise serializers.ValidationError("Each variant may appear once.")
        return items


class PurchaseListQuerySerializer(serializers.Serializer):
    shop = serializers.IntegerField(min_value=1, required=False)


class PurchaseItemSerializer(serializers.Serializer):
    variant = serializers.IntegerField(source="variant_id")
    sku = serializers.CharField(source="variant.sku")
    quantity = serializers.IntegerField()
    unit_cost = MoneyField()


class PurchaseSerializer(serializers.ModelSerializer):
    items = PurchaseItemSerializer(many=True, read_only=True)
    total_cost = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Purchase
        fields = [
            "id",
            "shop",
            "supplier",
            "reference",
            "purchased_at",
            "items",
            "total_cost",
            "currency",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneyField())
    def get_total_cost(self, purchase: Purchase) -> str:
        total = sum((item.unit_cost * item.quantity for item in purchase.items.all()), Decimal(0))
        return f"{total:.2f}"

    def get_currency(self, purchase: Purchase) -> str:
        return str(settings.CURRENCY)
