from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from souk.core.serializers import FiniteFloatField, LocationField
from souk.shops.models import Shop, ShopMember


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


class ShopSerializer(serializers.ModelSerializer):
    location = LocationField()
    owner = OwnerSerializer(read_only=True)
    rating = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True)
    distance_km = serializers.SerializerMethodField()

    class Meta:
        model = Shop
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "location",
            "address",
            "phone",
            "email",
            "owner",
            "rating",
            "review_count",
            "product_count",
            "created_at",
            "distance_km",
        ]
        read_only_fields = fields

    def get_distance_km(self, shop: Shop) -> float | None:
        distance = getattr(shop, "distance", None)
        return None if distance is None else round(distance / 1000, 3)


class ShopWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    location = LocationField()
    address = serializers.CharField(max_length=255)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)


class NearQuerySerializer(serializers.Serializer):
    lat = FiniteFloatField(required=False, min_value=-90, max_value=90)
    lng = FiniteFloatField(required=False, min_value=-180, max_value=180)
    radius = FiniteFloatField(
        required=False,
        min_value=0.001,
        max_value=settings.GEOSEARCH_MAX_RADIUS_KM,
        help_text=f"Kilometres (default {settings.GEOSEARCH_DEFAULT_RADIUS_KM}).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_lat, has_lng = "lat" in attrs, "lng" in attrs
        if has_lat != has_lng:
            missing = "lng" if has_lat else "lat"
            raise serializers.ValidationError({missing: ["lat and lng go together."]})
        if "radius" in attrs and not has_lat:
            raise serializers.ValidationError({"radius": ["radius needs lat and lng."]})
        return attrs


class ShopListQuerySerializer(NearQuerySerializer):
    search = serializers.CharField(required=False, max_length=200)
    owner = serializers.ChoiceField(required=False, choices=["me"])
    member = serializers.ChoiceField(
        required=False, choices=["me"], help_text="Shops the caller owns or works for."
    )


class MemberUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")


class ShopMemberSerializer(serializers.ModelSerializer):
    user = MemberUserSerializer(read_only=True)

    class Meta:
        model = ShopMember
        fields = ["user", "role", "created_at"]
        read_only_fields = fields


class StaffAddSerializer(serializers.Serializer):
    email = serializers.EmailField()
