"""A realistic catalog for demos and benchmarks: shops scattered around real cities, products
with variants, categories, attributes and descriptions, and their opening stock in the
inventory ledger (which is why it lives here, above the catalog).

Products and variants go in with COPY; for large loads the secondary indexes are dropped and
rebuilt afterwards in the same transaction (building an index once is far cheaper than
updating it a million times), so an interrupted load leaves nothing behind.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from souk.accounts.models import User
from souk.catalog.models import SCORE_PRIOR_MEAN, Category, Product, Variant
from souk.catalog.seed import categories_ensure
from souk.catalog.seed import vocabulary as v
from souk.catalog.services.geocells import geo_cells_rebuild
from souk.catalog.services.vocabulary import names_rebuild, terms_rebuild
from souk.inventory.models import StockMovement
from souk.shops.geo import point_safe
from souk.shops.models import Shop, ShopMember

Progress = Callable[[int, int], None]
CHUNK = 20_000
REBUILD_INDEXES_FROM = 50_000


@dataclass(frozen=True)
class SeedResult:
    shops: int
    products: int
    variants: int
    seconds: float


def _scatter(rng: random.Random, centre: tuple[float, float], km: float) -> tuple[float, float]:
    lat, lng = centre
    dlat = rng.gauss(0, km) / 111.32
    dlng = rng.gauss(0, km) / (111.32 * max(0.2, abs(math.cos(math.radians(lat)))))
    return round(lat + dlat, 6), round(lng + dlng, 6)


def _shops(rng: random.Random, count: int, first_owner: User | None) -> list[tuple[Shop, str]]:
    """`count` shops (with owners), each with the city it lies in."""
    start = Shop.all_objects.count()
    password = make_password(None)  # unusable: seeded owners cannot sign in
    owners: list[User] = []
    for index in range(count):
        if index == 0 and first_owner is not None:
            owners.append(first_owner)
            continue
        first, last = rng.choice(v.FIRST_NAMES), rng.choice(v.LAST_NAMES)
        owners.append(
            User(
                email=f"artisan-{start + index + 1}-{rng.randrange(10**6):06d}@souk.test",
                first_name=first,
                last_name=last,
                role=User.Role.ARTISAN,
                password=password,
            )
        )
    User.objects.bulk_create([owner for owner in owners if owner.pk is None])
    cities = list(v.CITIES.items())
    shops: list[Shop] = []
    shop_cities: list[str] = []
    for index, owner in enumerate(owners):
        city, centre = cities[index % len(cities)]
        shop_cities.append(city)
        lat, lng = _scatter(rng, centre, 6.0)
        craft = rng.choice(v.SHOP_CRAFTS)
        name = rng.choice(
            [
                f"{owner.first_name}'s {craft} {rng.choice(v.SHOP_NOUNS)}",
                f"{city} {craft} {rng.choice(v.SHOP_NOUNS)}",
                f"{owner.last_name} {craft}",
            ]
        )
        shops.append(
            Shop(
                owner=owner,
                name=name,
                slug=f"{slugify(name)[:100]}-{start + index + 1}",
                description=f"{craft} made by hand in {city} by {owner.first_name} "
                f"{owner.last_name}. Small batches, natural materials, made to last.",
                location=point_safe(Point(lng, lat, srid=4326)),
                address=f"{rng.randint(1, 220)} {rng.choice(v.STREETS)}, {city}",
            )
        )
    shops = Shop.objects.bulk_create(shops)
    ShopMember.objects.bulk_create(
        [ShopMember(shop=shop, user=shop.owner, role=ShopMember.Role.OWNER) for shop in shops]
    )
    return list(zip(shops, shop_cities, strict=True))


def _reserve_ids(model: type[Product], count: int) -> int:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s)", [sequence])
        (first,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return int(first)


def _product_rows(
    rng: random.Random,
    shops: list[tuple[Shop, str]],
    categories: dict[tuple[str, ...], Category],
    count: int,
    first_id: int,
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    now = timezone.now()
    kinds = [(path, kind) for path, entries in v.CATALOG.items() for kind in entries]
    for offset in range(count):
        product_id = first_id + offset
        shop, city = shops[offset] if offset < len(shops) else rng.choice(shops)
        path, (noun, materials, axis, (low, high)) = rng.choice(kinds)
        material = rng.choice(materials)
        colour = rng.choice(v.COLOURS) if rng.random() < 0.45 else ""
        adjective = rng.choice(v.ADJECTIVES)
        words = [adjective, colour.title() if colour else "", material.title(), noun]
        name = " ".join(word for word in words if word)
        category = categories[path]
        technique = rng.choice(v.TECHNIQUES)
        description = (
            f"{name}, {technique} from {material} in our {city} workshop. "
            f"Every piece is made by hand, so each one is a little different. "
            f"{rng.choice(v.CLOSINGS)}"
        )
        attributes = {"material": material, "technique": technique, "origin": city}
        if colour:
            attributes["colour"] = colour
        created = now - timedelta(seconds=rng.randrange(365 * 24 * 3600))
        base = Decimal(rng.randint(low * 100, high * 100)) / 100
        options = v.VARIANT_AXES[axis]
        n_variants = 1 if rng.random() < 0.45 else rng.randint(2, min(3, len(options)))
        variants = []
        prices = []
        for index, option in enumerate(rng.sample(options, n_variants)):
            price = (base * (Decimal("1") + Decimal(index) / 5)).quantize(Decimal("0.01"))
            prices.append(price)
            quantity = 0 if rng.random() < 0.08 else rng.randint(1, 40)
            variant_attrs = {axis: option} if n_variants > 1 else {}
            variants.append(
                (
                    created,
                    created,
                    shop.pk,
                    product_id,
                    f"P{product_id}-{index + 1}",
                    price,
                    quantity,
                    json.dumps(variant_attrs),
                    index,
                )
            )
        location = shop.location
        yield (
            (
                product_id,
                created,
                created,
                shop.pk,
                category.pk,
                name,
                slugify(name)[:220],
                description,
                json.dumps(attributes),
                f"SRID=4326;POINT({location.x} {location.y})",
                " ".join(path),
                min(prices),
                Decimal("0"),
                0,
                SCORE_PRIOR_MEAN,
            ),
            variants,
        )


PRODUCT_COLUMNS = (
    "id, created_at, updated_at, shop_id, category_id, name, slug, description, attributes, "
    "location, category_text, price_min, rating, review_count, search_score"
)
VARIANT_COLUMNS = (
    "created_at, updated_at, shop_id, product_id, sku, price, quantity, attributes, position"
)


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        return list(cursor.fetchall())


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        return list(cursor.fetchall())


def _copy(
    rows: Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]],
    total: int,
    progress: Progress,
) -> int:
    variants_written = 0
    raw = connection.connection.cursor()
    done = 0
    while done < total:
        batch = []
        for _ in range(min(CHUNK, total - done)):
            batch.append(next(rows))
        with raw.copy(f"COPY catalog_product ({PRODUCT_COLUMNS}) FROM STDIN") as copy:
            for product, _ in batch:
                copy.write_row(product)
        with raw.copy(f"COPY catalog_variant ({VARIANT_COLUMNS}) FROM STDIN") as copy:
            for _, variants in batch:
                for variant in variants:
                    copy.write_row(variant)
                    variants_written += 1
        done += len(batch)
        progress(done, total)
    return variants_written


def _stock_opened(first_id: int, end_id: int) -> None:
    """The seeded stock enters the ledger as opening adjustments (so stock equals the sum of
    its movements), and variants that start low get their alert, marked as announced so that
    loading data does not email every shop."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stockmovement (variant_id, shop_id, delta, reason, reference, "
            "quantity_after, note, created_at) "
            "SELECT id, shop_id, quantity, %s, 'seed', quantity, 'opening stock', created_at "
            "FROM catalog_variant WHERE product_id >= %s AND product_id < %s AND quantity > 0",
            [StockMovement.Reason.ADJUSTMENT, first_id, end_id],
        )
        cursor.execute(
            "INSERT INTO inventory_inventoryalert (shop_id, variant_id, quantity, threshold, "
            "created_at) "
            "SELECT shop_id, id, quantity, %s, now() FROM catalog_variant "
            "WHERE product_id >= %s AND product_id < %s AND quantity <= %s "
            "ON CONFLICT (variant_id) WHERE resolved_at IS NULL DO NOTHING",
            [settings.LOW_STOCK_THRESHOLD, first_id, end_id, settings.LOW_STOCK_THRESHOLD],
        )


def seed_catalog(
    *,
    shops: int,
    products: int,
    seed: int,
    first_owner: User | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
    report = progress or (lambda done, total: None)
    with transaction.atomic():
        categories = categories_ensure()
        created_shops = _shops(rng, max(1, shops), first_owner) if products or shops else []
        if not products:
            return SeedResult(len(created_shops), 0, 0, time.monotonic() - started)
        rebuild = products >= REBUILD_INDEXES_FROM
        tables = (Product._meta.db_table, Variant._meta.db_table, StockMovement._meta.db_table)
        indexes: list[str] = []
        foreign_keys: list[tuple[str, str, str]] = []
        if rebuild:
            with connection.cursor() as cursor:
                # Run the deferred checks of the rows written so far (shops, owners): tables
                # with pending checks cannot be altered.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for table in tables:
                    foreign_keys += [(table, *fk) for fk in _foreign_keys(table)]
                for table, name, _ in foreign_keys:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                for table in tables:
                    for name, definition in _secondary_indexes(table):
                        indexes.append(definition)
                        cursor.execute(f'DROP INDEX "{name}"')
        first_id = _reserve_ids(Product, products)
        rows = _product_rows(rng, created_shops, categories, products, first_id)
        variants = _copy(rows, products, report)
        _stock_opened(first_id, first_id + products)
        with connection.cursor() as cursor:
            for definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:  # each re-checked in one pass
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "UPDATE shops_shop s SET product_count = c.n FROM "
                "(SELECT shop_id, count(*) AS n FROM catalog_product WHERE deleted_at IS NULL "
                "GROUP BY shop_id) c WHERE s.id = c.shop_id"
            )
        terms_rebuild()
        names_rebuild()
        geo_cells_rebuild()
    with connection.cursor() as cursor:
        for table in (
            "catalog_product",
            "catalog_variant",
            "shops_shop",
            "catalog_searchterm",
            "catalog_suggestname",
            "inventory_stockmovement",
        ):
            cursor.execute(f"ANALYZE {table}")
    return SeedResult(len(created_shops), products, variants, time.monotonic() - started)
