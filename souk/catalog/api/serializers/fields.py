from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from souk.core.serializers import MoneyField

MAX_QUANTITY = 1_000_000
MAX_ATTRIBUTES = 50
MAX_VARIANTS = 100


class AttributesField(serializers.JSONField):
    """A flat JSON object: up to 50 keys, each a short string, number or boolean."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        if len(value) > MAX_ATTRIBUTES:
            raise serializers.ValidationError(f"At most {MAX_ATTRIBUTES} attributes.")
        for key, item in value.items():
            if not key or len(key) > 50:
                raise serializers.ValidationError("Attribute names have 1 to 50 characters.")
            if isinstance(item, str) and len(item) > 200:
                raise serializers.ValidationError(f"'{key}': at most 200 characters.")
            if not isinstance(item, str | int | float | bool) or item is None:
                raise serializers.ValidationError(
                    f"'{key}': values are strings, numbers or booleans."
                )
        return value


def price_field(**kwargs: Any) -> MoneyField:
    return MoneyField(
        max_digits=10, min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), **kwargs
    )


def quantity_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY, **kwargs)
