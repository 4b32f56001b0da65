"""Product reads: one base queryset (related rows loaded), filters, and orderings that every
index in `Product.Meta.indexes` is shaped for."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from souk.catalog.models import Product, ProductImage, Variant
from souk.catalog.selectors.categories import category_descendant_ids
from souk.core.arrays import id_array

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
# What the API shows of a product (its search vectors stay in the database).
PRODUCT_FIELDS = (
    "id",
    "created_at",
    "deleted_at",
    "shop",
    "category",
    "name",
    "slug",
    "description",
    "attributes",
    "location",
    "price_min",
    "rating",
    "review_count",
    "search_score",
)


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
    variants: QuerySet[Variant] = Variant.objects.only(
        "id", "product", "sku", "price", "quantity", "attributes", "position"
    ).order_by("position", "id")
    images: QuerySet[ProductImage] = ProductImage.objects.order_by("position", "id")
    return (
        Product.objects.select_related("shop", "category")
        # The search vectors are for the database only; do not ship them to Python.
        .only(*PRODUCT_FIELDS, "shop__name", "category__name")
        .prefetch_related(
            Prefetch("variants", queryset=variants), Prefetch("images", queryset=images)
        )
    )


def product_get(*, product_id: int) -> Product | None:
    return products_by_id([product_id]).get(product_id)


_PAGE_SQL = """
SELECT p.id, p.created_at, p.shop_id, p.category_id, p.name, p.slug, p.description,
       p.attributes, p.price_min, p.rating, p.review_count, p.search_score,
       ST_Y(p.location::geometry) AS lat, ST_X(p.location::geometry) AS lng,
       s.name AS shop_name, c.name AS category_name,
       COALESCE((
           SELECT jsonb_agg(jsonb_build_object(
                      'id', v.id, 'sku', v.sku, 'price', v.price::text,
                      'quantity', v.quantity, 'attributes', v.attributes)
                  ORDER BY v.position, v.id)
           FROM catalog_variant v WHERE v.product_id = p.id AND v.deleted_at IS NULL
       ), '[]'::jsonb) AS variant_rows,
       COALESCE((
           SELECT jsonb_agg(jsonb_build_object(
                      'id', i.id, 'image', i.image, 'thumbnail', i.thumbnail,
                      'alt', i.alt, 'position', i.position)
                  ORDER BY i.position, i.id)
           FROM catalog_productimage i WHERE i.product_id = p.id AND i.deleted_at IS NULL
       ), '[]'::jsonb) AS image_rows
FROM catalog_product p
JOIN shops_shop s ON s.id = p.shop_id
JOIN catalog_category c ON c.id = p.category_id
WHERE p.id = ANY(%s::bigint[]) AND p.deleted_at IS NULL
"""


def products_by_id(ids: list[int]) -> dict[int, Product]:
    """One page of products by id, in one statement: what the API shows of each (shop and
    category names, coordinates, and its live variants and images as JSON). Lists are the
    busiest reads in the API, so this skips building the query and related models each time."""
    if not ids:
        return {}
    return {product.pk: product for product in Product.objects.raw(_PAGE_SQL, [id_array(ids)])}


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


# Live or deleted, for administrators restoring them.


def product_get_any(*, product_id: int) -> Product | None:
    return Product.all_objects.select_related("shop").filter(pk=product_id).first()


def variant_get_any(*, product: Product, variant_id: int) -> Variant | None:
    return Variant.all_objects.filter(product=product, pk=variant_id).first()


def image_get_any(*, product: Product, image_id: int) -> ProductImage | None:
    return ProductImage.all_objects.filter(product=product, pk=image_id).first()
