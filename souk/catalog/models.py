from __future__ import annotations

from decimal import Decimal

from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_Node

from souk.core.models import SoftDeleteModel, TimeStampedModel
from souk.core.search import JsonbTsVector, SetWeight, TsConcat, TsVector
from souk.shops.models import Shop

ALIVE = Q(deleted_at__isnull=True)

# Quality score for products with no reviews: a neutral prior, so that new products are
# neither buried nor promoted (Bayesian average with PRIOR_WEIGHT pseudo-reviews).
SCORE_PRIOR_MEAN = 3.5
SCORE_PRIOR_WEIGHT = 5


class Category(MP_Node):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, unique=True)

    node_order_by = ["name"]

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(SoftDeleteModel, TimeStampedModel):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    location = gis_models.PointField(geography=True, srid=4326, spatial_index=False)
    # Denormalised for search and filters; kept by the catalog services.
    category_text = models.CharField(max_length=300, blank=True, editable=False)
    price_min = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    rating = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0"))
    review_count = models.PositiveIntegerField(default=0)
    search_score = models.FloatField(default=SCORE_PRIOR_MEAN)
    # Kept current by the database: name (A) above category and attribute values (B) above
    # description (C).
    search_vector = models.GeneratedField(
        expression=TsConcat(
            SetWeight(TsVector("name"), "A"),
            SetWeight(TsConcat(TsVector("category_text"), JsonbTsVector("attributes")), "B"),
            SetWeight(TsVector("description"), "C"),
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    name_vector = models.GeneratedField(
        expression=TsVector("name"), output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        indexes = [
            GistIndex(fields=["location"], name="catalog_product_location_gist", condition=ALIVE),
            GinIndex(fields=["search_vector"], name="catalog_product_search_gin", condition=ALIVE),
            GinIndex(fields=["name_vector"], name="catalog_product_name_gin", condition=ALIVE),
            models.Index(
                fields=["search_score", "id"], name="catalog_product_score", condition=ALIVE
            ),
            models.Index(
                fields=["created_at", "id"], name="catalog_product_created", condition=ALIVE
            ),
            models.Index(fields=["price_min", "id"], name="catalog_product_price", condition=ALIVE),
            models.Index(fields=["name", "id"], name="catalog_product_name", condition=ALIVE),
            models.Index(fields=["rating", "id"], name="catalog_product_rating", condition=ALIVE),
            models.Index(
                fields=["shop", "created_at"], name="catalog_product_shop", condition=ALIVE
            ),
            models.Index(
                fields=["category", "created_at"], name="catalog_product_category", condition=ALIVE
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def permission_shop(self) -> Shop:
        return self.shop


class Variant(SoftDeleteModel, TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants")
    # The product's shop, copied so that SKUs are unique per shop and stock is scoped cheaply.
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="variants")
    sku = models.CharField(max_length=64)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(default=0)
    attributes = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "sku"], condition=ALIVE, name="catalog_variant_sku_per_shop"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_variant_price_gte_0"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0), name="catalog_variant_quantity_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "position"], name="catalog_variant_product"),
            models.Index(
                fields=["product"],
                name="catalog_variant_in_stock",
                condition=ALIVE & Q(quantity__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.sku

    @property
    def permission_shop(self) -> Shop:
        return self.shop


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to=product_image_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(upload_to=product_image_path)
    alt = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt or self.image.name or ""


class SearchTerm(models.Model):
    """The vocabulary of words in live product names, for typo-tolerant suggestions. Its size
    follows the vocabulary, not the catalog, so suggestion lookups stay flat as it grows."""

    term = models.CharField(max_length=64, primary_key=True)
    product_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            GistIndex(OpClass("term", name="gist_trgm_ops"), name="catalog_term_trgm"),
            models.Index(OpClass("term", name="varchar_pattern_ops"), name="catalog_term_prefix"),
        ]

    def __str__(self) -> str:
        return self.term
