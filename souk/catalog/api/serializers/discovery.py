from __future__ import annotations

from typing import Any

from rest_framework import serializers

from souk.catalog.api.serializers.fields import price_field
from souk.catalog.selectors.products import ORDERINGS
from souk.core.serializers import FiniteFloatField
from souk.shops.api.serializers import NearQuerySerializer

ORDERING_CHOICES = list(ORDERINGS)


def _check_price_range(attrs: dict[str, Any]) -> None:
    low, high = attrs.get("min_price"), attrs.get("max_price")
    if low is not None and high is not None and low > high:
        raise serializers.ValidationError({"max_price": ["Must be at least min_price."]})


class ProductQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, max_length=200, help_text="Alias: q")
    q = serializers.CharField(required=False, max_length=200, help_text="Alias of search.")
    category = serializers.IntegerField(
        required=False, min_value=1, help_text="Includes its sub-categories."
    )
    shop = serializers.IntegerField(required=False, min_value=1)
    min_price = price_field(required=False)
    max_price = price_field(required=False)
    in_stock = serializers.BooleanField(required=False, allow_null=True, default=None)
    ordering = serializers.ChoiceField(
        required=False,
        choices=ORDERING_CHOICES,
        help_text="Default: relevance when searching, nearest first for geosearch, "
        "else -created_at.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "q" in attrs and "search" not in attrs:
            attrs["search"] = attrs["q"]
        attrs.pop("q", None)
        if attrs.get("search") is not None and not attrs["search"].strip():
            attrs.pop("search")
        _check_price_range(attrs)
        return attrs


class GeoQuerySerializer(ProductQuerySerializer, NearQuerySerializer):
    lat = FiniteFloatField(min_value=-90, max_value=90)
    lng = FiniteFloatField(min_value=-180, max_value=180)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = NearQuerySerializer.validate(self, attrs)
        return ProductQuerySerializer.validate(self, attrs)


class SearchAliasQuerySerializer(serializers.Serializer):
    """The names of /api/search/products/ mapped onto /api/products/."""

    q = serializers.CharField(required=False, max_length=200)
    min_price = price_field(required=False)
    max_price = price_field(required=False)
    store_id = serializers.IntegerField(required=False, min_value=1)
    category = serializers.IntegerField(required=False, min_value=1)
    in_stock = serializers.BooleanField(required=False, allow_null=True, default=None)
    sort = serializers.ChoiceField(required=False, choices=ORDERING_CHOICES)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _check_price_range(attrs)
        return attrs

    def to_product_query(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        renamed = {
            "search": data.pop("q", None),
            "shop": data.pop("store_id", None),
            "ordering": data.pop("sort", None),
        }
        data.update({key: value for key, value in renamed.items() if value is not None})
        return data


class SuggestQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=100)


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
