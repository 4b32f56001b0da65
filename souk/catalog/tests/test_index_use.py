"""The discovery queries use their indexes once the table is big enough for the planner to
care: EXPLAIN the exact SQL the selectors run over 30,000 products."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import Point
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from souk.accounts.tests.factories import UserFactory
from souk.catalog.models import Product, SuggestName
from souk.catalog.selectors.discovery import (
    PREFIX_TERM_SQL,
    SIMILAR_TERM_SQL,
    product_discover,
    product_search,
)
from souk.catalog.selectors.products import ProductFilters
from souk.catalog.tests.factories import make_category
from souk.core.geo import Near, within
from souk.shops.models import Shop
from souk.shops.tests.factories import ShopFactory

pytestmark = pytest.mark.django_db

PRODUCTS = 30_000
ADJECTIVES = ["Rustic", "Woven", "Carved", "Glazed", "Knitted", "Forged", "Painted", "Braided"]
MATERIALS = ["ceramic", "wool", "leather", "oak", "linen", "brass", "clay", "silk", "glass"]
KINDS = [
    "mug",
    "bowl",
    "vase",
    "scarf",
    "bag",
    "wallet",
    "basket",
    "rug",
    "lamp",
    "plate",
    "teapot",
    "necklace",
    "ring",
    "blanket",
    "candle",
    "spoon",
    "board",
    "tray",
    "hat",
]


@pytest.fixture(scope="module")
def big_catalog(django_db_setup, django_db_blocker):
    """30,000 products spread over 60 x 40 km around London, written in one statement and
    committed once for this module (each test still runs in its own rolled-back transaction)."""
    with django_db_blocker.unblock():
        try:
            owner = UserFactory(role="artisan")
            shop = ShopFactory(owner=owner)
            categories = [make_category(f"Craft {n}") for n in range(12)]
            _fill(shop.pk, [category.pk for category in categories])
            yield PRODUCTS
        finally:
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE catalog_searchterm, catalog_suggestname, catalog_product, "
                    "catalog_variant, catalog_category, shops_shopmember, shops_shop, "
                    "accounts_user CASCADE"
                )


def product_id_of_any(cursor) -> int:
    cursor.execute("SELECT min(id) FROM catalog_product")
    return cursor.fetchone()[0]


def _fill(shop_id: int, category_ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalog_product (created_at, updated_at, shop_id, category_id, name, slug,
                description, attributes, location, category_text, price_min, rating,
                review_count, search_score)
            SELECT now() - make_interval(mins => g), now(), %(shop)s,
                (%(categories)s::bigint[])[1 + g %% 12],
                initcap((%(adjectives)s::text[])[1 + g %% 8]) || ' '
                    || initcap((%(materials)s::text[])[1 + (g / 8) %% 9]) || ' '
                    || initcap((%(kinds)s::text[])[1 + (g / 72) %% 19]),
                'item-' || g,
                'Made by hand in a small workshop, piece number ' || g,
                jsonb_build_object('colour', (ARRAY['red', 'blue', 'green'])[1 + g %% 3]),
                ST_SetSRID(ST_MakePoint(-0.4 + ((g::bigint * 7919) %% 10007) / 10007.0 * 0.8,
                                        51.3 + ((g::bigint * 104729) %% 10009) / 10009.0 * 0.4),
                           4326)::geography,
                'Ceramics', 10 + g %% 90, 0, 0, 3.5
            FROM generate_series(1, %(count)s) AS g
            """,
            {
                "shop": shop_id,
                "categories": category_ids,
                "adjectives": ADJECTIVES,
                "materials": MATERIALS,
                "kinds": KINDS,
                "count": PRODUCTS,
            },
        )
        cursor.execute(
            "INSERT INTO catalog_searchterm (term, product_count) "
            "SELECT 'term' || g || substr(md5(g::text), 1, 6), 1 FROM generate_series(1, 5000) g"
        )
        cursor.execute(
            "INSERT INTO catalog_searchterm (term, product_count) "
            "SELECT w, 100 FROM unnest(%s::text[]) w ON CONFLICT DO NOTHING",
            [[w.lower() for w in ADJECTIVES + MATERIALS + KINDS]],
        )
        cursor.execute(  # a rare word: 40 products
            "UPDATE catalog_product SET name = 'Zanzibar Teapot' WHERE id % 750 = 0"
        )
        cursor.execute(
            "INSERT INTO catalog_suggestname (key, name, product_id, product_count, score) "
            "SELECT 'name ' || g || ' ' || md5(g::text), 'Name ' || g || ' ' || md5(g::text), "
            "%s, 1, 3.5 FROM generate_series(1, 20000) g",
            [product_id_of_any(cursor)],
        )
        for table in ("catalog_product", "catalog_searchterm", "shops_shop", "catalog_suggestname"):
            cursor.execute(f"VACUUM ANALYZE {table}")  # fresh visibility map: index-only scans


def plan_of(queryset) -> str:
    """The JSON plan PostgreSQL picks for `queryset` (as sliced by a page)."""
    return queryset.explain(format="json")


def page_plan(results) -> str:
    """The plan of the first step of reading a page: one page of ids (and carried values)."""
    return plan_of(results.queryset.values_list("pk", *results.carry)[:21])


def walk_plan(results) -> str:
    """The plan of the bounded index walk a walking result set tries first."""
    statement = results.walk_sql(0, 21)
    assert statement is not None
    sql, params = statement
    return raw_plan(sql, list(params))


def raw_plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (plan,) = cursor.fetchone()
    return plan if isinstance(plan, str) else json.dumps(plan)


def uses_index(plan: str, index: str) -> bool:
    return f'"Index Name": "{index}"' in plan


def scans_sequentially(plan: str, table: str) -> bool:
    def walk(node: dict) -> bool:
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == table:
            return True
        return any(walk(child) for child in node.get("Plans", []))

    return walk(json.loads(plan)[0]["Plan"])


def test_big_catalog_is_there(big_catalog):
    assert Product.objects.count() == PRODUCTS


def test_geosearch_walks_the_gist_index_nearest_first(big_catalog):
    near = Near(lat=51.5, lng=-0.12, radius_km=5)
    results = product_discover(filters=ProductFilters(), near=near)

    plan = page_plan(results)

    assert uses_index(plan, "catalog_product_location_gist")
    assert '"Order By"' in plan  # KNN: the index returns rows in distance order
    assert '"Node Type": "Sort"' not in plan


def test_geosearch_with_filters_still_uses_the_gist_index(big_catalog):
    near = Near(lat=51.5, lng=-0.12, radius_km=10)
    results = product_discover(filters=ProductFilters(min_price=20, max_price=60), near=near)

    plan = page_plan(results)

    assert uses_index(plan, "catalog_product_location_gist")
    assert '"Order By"' in plan


def test_selective_search_uses_the_gin_index(big_catalog):
    results = product_search(Product.objects.all(), "zanzibar teapot")

    plan = page_plan(results)

    assert uses_index(plan, "catalog_product_search_gin")
    assert '"Relation Name": "catalog_product"' in plan
    assert not scans_sequentially(plan, "catalog_product")


def test_broad_search_walks_the_score_index_instead_of_ranking_every_match(big_catalog):
    results = product_search(Product.objects.all(), "mug")  # ~1/19 of the catalog matches

    name_tier = walk_plan(results.first)

    assert uses_index(name_tier, "catalog_product_score")
    assert '"Node Type": "Index Only Scan"' in name_tier  # the walk never reads the table
    assert '"Node Type": "Sort"' not in name_tier


@pytest.mark.parametrize("ordering", ["-created_at", "price", "-price", "name", "-rating"])
def test_list_pages_walk_a_covering_index(big_catalog, ordering):
    results = product_discover(filters=ProductFilters(min_price=30), ordering=ordering)

    plan = walk_plan(results)

    assert '"Node Type": "Index Only Scan"' in plan  # the walk never reads the table
    assert '"Node Type": "Sort"' not in plan


def test_category_list_falls_back_to_the_category_index(big_catalog):
    category_id = Product.objects.values_list("category_id", flat=True).first()
    results = product_discover(filters=ProductFilters(category=category_id))

    plan = page_plan(results)  # the fallback when the walk finds too few

    assert uses_index(plan, "catalog_product_category")
    assert '"Node Type": "Sort"' not in plan


def test_shop_geosearch_uses_the_gist_index(big_catalog):
    for n in range(300):
        ShopFactory(location=Point(-0.4 + n * 0.002, 51.4 + (n % 7) * 0.01, srid=4326))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE shops_shop")

    plan = plan_of(within(Shop.objects.all(), Near(lat=51.45, lng=-0.2, radius_km=3))[:21])

    assert uses_index(plan, "shops_shop_location_gist")


def test_suggested_names_come_from_the_names_gin_index(big_catalog):
    query = SearchQuery("name", search_type="plain") & SearchQuery("4242", search_type="plain")

    plan = plan_of(
        SuggestName.objects.filter(name_vector=query).order_by("-score").values_list("name")[:10]
    )

    assert uses_index(plan, "catalog_suggestname_gin")


def test_suggestion_lookups_use_the_trigram_and_prefix_indexes(big_catalog):
    similar = raw_plan(SIMILAR_TERM_SQL, ["ceramc", "ceramc", 2])
    prefix = raw_plan(PREFIX_TERM_SQL, ["wal%", 4])

    assert uses_index(similar, "catalog_term_trgm")
    assert '"Order By"' in similar  # nearest terms first, straight from the index
    assert uses_index(prefix, "catalog_term_prefix") or uses_index(prefix, "catalog_term_trgm")
    assert not scans_sequentially(prefix, "catalog_searchterm")
