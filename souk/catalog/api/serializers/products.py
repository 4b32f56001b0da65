from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from rest_framework import serializers

from souk.catalog.api.serializers.fields import (
    MAX_VARIANTS,
    AttributesField,
    price_field,
    quantity_field,
)
from souk.catalog.models import Category, Product, ProductImage, Variant
from souk.core.serializers import LocationField, MoneyField
from souk.shops.models import Shop


class ShopRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class VariantSerializer(serializers.ModelSerializer):
    price = MoneyField()
    in_stock = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = ["id", "sku", "price", "quantity", "in_stock", "attributes"]
        read_only_fields = fields

    def get_in_stock(self, variant: Variant) -> bool:
        return variant.quantity > 0


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "url", "thumbnail_url", "alt", "position"]
        read_only_fields = fields

    def get_url(self, image: ProductImage) -> str:
        return _absolute(image.image.url, self.context.get("request"))

    def get_thumbnail_url(self, image: ProductImage) -> str:
        return _absolute(image.thumbnail.url, self.context.get("request"))


class ProductSerializer(serializers.ModelSerializer):
    """A product as clients see it: `price` is the lowest variant price, `quantity` the total
    stock of its variants."""

    shop = ShopRefSerializer(read_only=True)
    category = CategoryRefSerializer(read_only=True)
    price = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    quantity = serializers.SerializerMethodField()
    in_stock = serializers.SerializerMethodField()
    location = LocationField(read_only=True)
    rating = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True)
    variants = VariantSerializer(many=True, read_only=True)
    images = ImageSerializer(many=True, read_only=True)
    distance_km = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "shop",
            "category",
            "name",
            "slug",
            "description",
            "price",
            "currency",
            "quantity",
            "in_stock",
            "attributes",
            "location",
            "rating",
            "review_count",
            "images",
            "variants",
            "created_at",
            "distance_km",
        ]
        read_only_fields = fields

    def get_price(self, product: Product) -> str:
        return f"{product.price_min:.2f}"

    def get_currency(self, product: Product) -> str:
        return str(settings.CURRENCY)

    def get_quantity(self, product: Product) -> int:
        return sum(variant.quantity for variant in product.variants.all())

    def get_in_stock(self, product: Product) -> bool:
        return any(variant.quantity > 0 for variant in product.variants.all())

    def get_distance_km(self, product: Product) -> float | None:
        distance = getattr(product, "distance", None)
        return None if distance is None else round(distance / 1000, 3)

    def to_representation(self, product: Product) -> dict[str, Any]:
        """The same document the declared fields describe, built directly: lists of products
        are the hottest path in the API and DRF's per-field machinery costs more than the
        database queries behind them."""
        variants = _variant_rows(product)
        request = self.context.get("request")
        return {
            "id": product.pk,
            "shop": {"id": product.shop_id, "name": _related_name(product, "shop")},
            "category": {"id": product.category_id, "name": _related_name(product, "category")},
            "name": product.name,
            "slug": product.slug,
            "description": product.description,
            "price": f"{product.price_min:.2f}",
            "currency": settings.CURRENCY,
            "quantity": sum(variant["quantity"] for variant in variants),
            "in_stock": any(variant["quantity"] > 0 for variant in variants),
            "attributes": product.attributes,
            "location": _coordinates(product),
            "rating": f"{product.rating:.2f}",
            "review_count": product.review_count,
            "images": [_image(image, request) for image in _image_rows(product)],
            "variants": [{**variant, "in_stock": variant["quantity"] > 0} for variant in variants],
            "created_at": _TIMESTAMP.to_representation(product.created_at),
            "distance_km": self.get_distance_km(product),
        }


_TIMESTAMP = serializers.DateTimeField()


def _absolute(url: str, request: Any) -> str:
    return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url


def _json(value: Any) -> Any:
    """jsonb read by raw SQL arrives as text (Django leaves decoding to JSONField)."""
    return json.loads(value) if isinstance(value, str) else value


def _related_name(product: Product, relation: str) -> str:
    name = getattr(product, f"{relation}_name", None)
    return str(name) if name is not None else str(getattr(product, relation).name)


def _coordinates(product: Product) -> dict[str, float]:
    lat = getattr(product, "lat", None)
    if lat is None:
        lat, lng = product.location.y, product.location.x
    else:
        lng = getattr(product, "lng")  # noqa: B009 - annotated by the page query
    return {"lat": round(lat, 6), "lng": round(lng, 6)}


def _variant_rows(product: Product) -> list[dict[str, Any]]:
    """{id, sku, price, quantity, attributes} per live variant, in gallery order: from the
    JSON the list selector reads with the product, else from the database."""
    rows = _json(getattr(product, "variant_rows", None))
    if rows is None:
        rows = [
            {
                "id": v.pk,
                "sku": v.sku,
                "price": str(v.price),
                "quantity": v.quantity,
                "attributes": v.attributes,
            }
            for v in product.variants.all()
        ]
    return [{**row, "price": f"{Decimal(row['price']):.2f}"} for row in rows]


def _image_rows(product: Product) -> list[dict[str, Any]]:
    rows = _json(getattr(product, "image_rows", None))
    if rows is None:
        rows = [
            {
                "id": i.pk,
                "image": i.image.name,
                "thumbnail": i.thumbnail.name,
                "alt": i.alt,
                "position": i.position,
            }
            for i in product.images.all()
        ]
    return rows or []


def _image(image: dict[str, Any], request: Any) -> dict[str, Any]:
    return {
        "id": image["id"],
        "url": _absolute(default_storage.url(image["image"]), request),
        "thumbnail_url": _absolute(default_storage.url(image["thumbnail"]), request),
        "alt": image["alt"],
        "position": image["position"],
    }


class VariantInputSerializer(serializers.Serializer):
    sku = serializers.CharField(required=False, allow_blank=True, max_length=64)
    price = price_field()
    quantity = quantity_field(default=0)
    attributes = AttributesField(required=False, default=dict)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1000)


class VariantUpdateSerializer(serializers.Serializer):
    sku = serializers.CharField(required=False, max_length=64)
    price = price_field(required=False)
    quantity = quantity_field(required=False)
    attributes = AttributesField(required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1000)


class ProductCreateSerializer(serializers.Serializer):
    shop = serializers.PrimaryKeyRelatedField(queryset=Shop.objects.all())
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.alive())
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    price = price_field(required=False, help_text="For a product with one variant.")
    quantity = quantity_field(required=False, help_text="Initial stock of that variant.")
    sku = serializers.CharField(required=False, allow_blank=True, max_length=64)
    attributes = AttributesField(required=False, default=dict)
    location = LocationField(required=False, help_text="Defaults to the shop's location.")
    # max_length: a longer list is refused before any of its entries is validated.
    variants = VariantInputSerializer(  # type: ignore[call-arg]  # the stubs lack max_length
        many=True,
        required=False,
        max_length=MAX_VARIANTS,
        error_messages={"max_length": "At most {max_length} variants."},
        help_text="Instead of price/quantity/sku.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        variants = attrs.get("variants")
        if variants is not None:
            if not variants:
                raise serializers.ValidationError({"variants": ["Give at least one variant."]})
            clash = [key for key in ("price", "quantity", "sku") if key in attrs]
            if clash:
                raise serializers.ValidationError(
                    {clash[0]: ["Give either variants or price/quantity/sku, not both."]}
                )
        elif "price" not in attrs:
            raise serializers.ValidationError({"price": ["This field is required."]})
        if not attrs["name"].strip():
            raise serializers.ValidationError({"name": ["This field may not be blank."]})
        return attrs


class ProductUpdateSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.alive(), required=False)
    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    attributes = AttributesField(required=False)
    location = LocationField(required=False)
    price = price_field(required=False, help_text="Only for a product with one variant.")
    quantity = quantity_field(required=False, help_text="Only for a product with one variant.")

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class ImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP, at most 5 MB.")
    alt = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
