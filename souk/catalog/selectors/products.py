"""Product reads: one base queryset (related rows loaded), filters, and orderings that every
index in `Product.Meta.indexes` is shaped for."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from souk.catalog.models import Product, ProductImage, Variant
from souk.catalog.selectors.categories import category_descendant_ids

ORDERINGS: dict[str, tuple[str, str]] = {
    "price": ("price_min", "id"),
    "-price": ("-price_min", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "rating": ("rating", "id"),
    "-rating": ("-rating", "-id"),
}
DEFAULT_ORDERING = "-created_at"


@dataclass(frozen=True)
class ProductFilters:
    category: int | None = None
    shop: int | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None


def product_base() -> QuerySet[Product]:
    """Live products with shop, category, variants and images loaded (a fixed number of
    queries however many products are read)."""
    return (
        Product.objects.select_related("shop", "category")
        # The search vectors are for the database only; do not ship them to Python.
        .defer(
            "search_vector",
            "name_vector",
            "shop__search_vector",
            "shop__location",
            "shop__description",
        )
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
    )


def product_get(*, product_id: int) -> Product | None:
    return product_base().filter(pk=product_id).first()


def in_stock_expression() -> Exists:
    return Exists(Variant.objects.filter(product=OuterRef("pk"), quantity__gt=0))


def product_filter(queryset: QuerySet[Product], filters: ProductFilters) -> QuerySet[Product]:
    if filters.category is not None:
        queryset = queryset.filter(category_id__in=category_descendant_ids(filters.category))
    if filters.shop is not None:
        queryset = queryset.filter(shop_id=filters.shop)
    if filters.min_price is not None:
        queryset = queryset.filter(price_min__gte=filters.min_price)
    if filters.max_price is not None:
        queryset = queryset.filter(price_min__lte=filters.max_price)
    if filters.in_stock is True:
        queryset = queryset.filter(in_stock_expression())
    elif filters.in_stock is False:
        queryset = queryset.filter(~in_stock_expression())
    return queryset


def product_order(queryset: QuerySet[Product], ordering: str | None) -> QuerySet[Product]:
    return queryset.order_by(*ORDERINGS[ordering or DEFAULT_ORDERING])
