from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from souk.analytics.selectors import Period, default_period
from souk.core.serializers import MoneyField

# The longest period a dashboard covers.
MAX_PERIOD_DAYS = 5 * 366


class PeriodQuerySerializer(serializers.Serializer[Any]):
    """`from` and `to` (YYYY-MM-DD, both included); by default the last 12 months."""

    to = serializers.DateField(required=False, help_text="Last day (default: today).")
    top = serializers.IntegerField(
        required=False, min_value=1, max_value=100, default=10, help_text="Products listed."
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="First day (default: 11 months before `to`'s month)."
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end: date = attrs.get("to") or timezone.now().date()
        start: date = attrs.get("from") or default_period(end).start
        if start > end:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        if end - start > timedelta(days=MAX_PERIOD_DAYS):
            raise serializers.ValidationError({"from": ["A period covers at most 5 years."]})
        attrs["period"] = Period(start=start, end=end)
        return attrs


class DashboardKpisSerializer(serializers.Serializer[Any]):
    revenue = MoneyField()
    orders = serializers.IntegerField()
    average_order_value = MoneyField()
    items_sold = serializers.IntegerField()
    customers = serializers.IntegerField()
    repeat_customers = serializers.IntegerField()
    refunded = MoneyField()
    low_stock_count = serializers.IntegerField()


class DashboardMonthSerializer(serializers.Serializer[Any]):
    month = serializers.CharField(help_text="YYYY-MM")
    revenue = MoneyField()
    orders = serializers.IntegerField()


class DashboardCategorySerializer(serializers.Serializer[Any]):
    category = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    revenue = MoneyField()
    share = serializers.DecimalField(max_digits=5, decimal_places=4)


class DashboardProductSerializer(serializers.Serializer[Any]):
    product = serializers.IntegerField()
    name = serializers.CharField()
    category = serializers.IntegerField(allow_null=True)
    revenue = MoneyField()
    units = serializers.IntegerField()
    rank = serializers.IntegerField()
    category_rank = serializers.IntegerField()


class DashboardPeriodSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {"from": serializers.DateField(), "to": serializers.DateField()}


class DashboardSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    period = DashboardPeriodSerializer()
    kpis = DashboardKpisSerializer()
    monthly_revenue = DashboardMonthSerializer(many=True)
    category_breakdown = DashboardCategorySerializer(many=True)
    top_products = DashboardProductSerializer(many=True)


class DashboardShopSerializer(serializers.Serializer[Any]):
    shop = serializers.IntegerField()
    name = serializers.CharField()
    revenue = MoneyField()
    orders = serializers.IntegerField()
    rank = serializers.IntegerField()


class MarketplaceDashboardSerializer(DashboardSerializer):
    top_shops = DashboardShopSerializer(many=True)
