from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from souk.catalog.models import Review


class ReviewerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReviewSerializer(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "product", "rating", "title", "body", "customer", "created_at"]
        read_only_fields = fields

    @extend_schema_field(ReviewerSerializer)
    def get_customer(self, review: Review) -> dict[str, Any]:
        user = review.customer
        initial = f" {user.last_name[:1]}." if user.last_name else ""
        return {"id": user.pk, "name": f"{user.first_name}{initial}".strip() or "Customer"}


class ReviewCreateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
