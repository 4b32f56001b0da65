from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from souk.core.models import SoftDeleteModel, TimeStampedModel
from souk.core.search import JsonbTsVector, SetWeight, TsConcat, TsVector
from souk.shops.models import Shop

ALIVE = Q(deleted_at__isnull=True)
# Columns the product list filters on, carried by its ordering indexes.
FILTERED = ("category", "shop", "price_min")

# Quality score for products with no reviews: a neutral prior, so that new products are
# neither buried nor promoted (Bayesian average with PRIOR_WEIGHT pseudo-reviews).
SCORE_PRIOR_MEAN = 3.5
SCORE_PRIOR_WEIGHT = 5


class CategoryQuerySet(MP_NodeQuerySet):
    def alive(self) -> models.QuerySet[Category]:
        return self.filter(deleted_at__isnull=True)


class CategoryManager(MP_NodeManager):
    """Every node, deleted or not: the tree library computes paths (new children, moves)
    through `objects`, and a deleted node keeps its path. Reads go through `alive()`; a
    deleted category's whole subtree is deleted with it, so live nodes always have live
    parents."""

    def get_queryset(self) -> CategoryQuerySet:
        return CategoryQuerySet(self.model).order_by("path")

    def alive(self) -> models.QuerySet[Category]:
        return self.get_queryset().alive()


class Category(MP_Node):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CategoryManager()

    node_order_by = ["name"]

    class Meta:
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["slug"], condition=ALIVE, name="catalog_category_slug")
        ]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __str__(self) -> str:
        return self.name


class Product(SoftDeleteModel, TimeStampedModel):
    # Indexed by the composite indexes below, which lead with these columns.
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="products", db_index=False
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", db_index=False
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, db_index=False)
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
        # Lists read product ids from an index first ("index-only"), then fetch one page of
        # rows: the ordering indexes carry the columns the list filters test, so walking them
        # never touches the table.
        indexes = [
            GistIndex(fields=["location"], name="catalog_product_location_gist", condition=ALIVE),
            # Text with the filtered columns (btree_gin): a search narrowed by price, category
            # or shop is answered inside the index instead of reading every text match.
            GinIndex(
                fields=["search_vector", *FILTERED],
                name="catalog_product_search_gin",
                condition=ALIVE,
            ),
            GinIndex(
                fields=["name_vector", *FILTERED], name="catalog_product_name_gin", condition=ALIVE
            ),
            models.Index(
                fields=["search_score", "id"],
                include=["name_vector", *FILTERED],
                name="catalog_product_score",
                condition=ALIVE,
            ),
            *[
                models.Index(
                    fields=[column, "id"],
                    include=[c for c in FILTERED if c != column],
                    name=f"catalog_product_{label}",
                    condition=ALIVE,
                )
                for column, label in (
                    ("created_at", "created"),
                    ("price_min", "price"),
                    ("name", "name"),
                    ("rating", "rating"),
                )
            ],
            models.Index(
                fields=["shop", "created_at", "id"],
                include=["category", "price_min"],
                name="catalog_product_shop",
                condition=ALIVE,
            ),
            models.Index(
                fields=["category", "created_at", "id"],
                include=["shop", "price_min"],
                name="catalog_product_category",
                condition=ALIVE,
            ),
            models.Index(
                fields=["category", "price_min", "id"],
                include=["shop"],
                name="catalog_product_cat_price",
                condition=ALIVE,
            ),
            models.Index(
                fields=["category", "name", "id"],
                include=["shop", "price_min"],
                name="catalog_product_cat_name",
                condition=ALIVE,
            ),
            models.Index(
                fields=["category", "rating", "id"],
                include=["shop", "price_min"],
                name="catalog_product_cat_rating",
                condition=ALIVE,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def permission_shop(self) -> Shop:
        return self.shop


class Variant(SoftDeleteModel, TimeStampedModel):
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="variants", db_index=False
    )
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


class ProductImage(SoftDeleteModel, TimeStampedModel):
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
        base_manager_name = "all_objects"

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


class SuggestName(models.Model):
    """Distinct product names (case-folded) for suggestions: one row per name however many
    products share it, with the best-rated live product of that name."""

    key = models.CharField(max_length=200, primary_key=True)
    name = models.CharField(max_length=200)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    product_count = models.PositiveIntegerField(default=1)
    score = models.FloatField(default=SCORE_PRIOR_MEAN)
    name_vector = models.GeneratedField(
        expression=TsVector("name"), output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        indexes = [GinIndex(fields=["name_vector"], name="catalog_suggestname_gin")]

    def __str__(self) -> str:
        return self.name


class GeoCell(models.Model):
    """How many live products lie in each 0.1-degree cell: the density map behind radius
    search counts (PostgreSQL's own statistics misjudge clustered geography)."""

    lat_cell = models.IntegerField()
    lng_cell = models.IntegerField()
    products = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lat_cell", "lng_cell"], name="catalog_geocell_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lat_cell / 10}, {self.lng_cell / 10}: {self.products}"


class Review(SoftDeleteModel, TimeStampedModel):
    """A customer's rating of a product they received; one live review per customer and
    product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120, blank=True)
    body = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "customer"], condition=ALIVE, name="catalog_review_once"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="catalog_review_rating_1_5"
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "-created_at"], name="catalog_review_product", condition=ALIVE
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on {self.product_id}"
