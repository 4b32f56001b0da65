"""Lock plans of inventory: stock, purchases and alerts, in the global lock order
(`souk.core.locks.LOCK_ORDER`).

Every path that changes stock locks the variants it touches through `variants_lock`, ordered
by primary key, so two transactions that need the same variants wait for each other instead
of deadlocking.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import Model

from souk.catalog.models import Product, Variant
from souk.core.arrays import BIGINT_MAX, LISTED_MAX, id_array
from souk.core.locks import lock_first, lock_plan, lock_raw
from souk.inventory.models import InventoryAlert, Purchase
from souk.shops.models import Shop


def _loaded(model: type[Model], wanted: set[str]) -> tuple[str, ...]:
    """The wanted fields in the model's own order (as `Model.from_db` takes its values)."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


# What a stock change and an order line need of a variant and its product; any other field
# is loaded on first access.
_VARIANT_FIELDS = _loaded(
    Variant,
    {"id", "product_id", "shop_id", "sku", "price", "quantity", "attributes", "deleted_at"},
)
_PRODUCT_FIELDS = _loaded(Product, {"id", "shop_id", "category_id", "name", "deleted_at"})
_SHOP_FIELDS = _loaded(Shop, {"id", "name", "deleted_at"})

# The variants and their products, locked in primary-key order, and whether each has an
# unresolved low-stock alert (as this statement's snapshot saw it: after a wait for another
# change of the variant only the variant row is read again, see
# `souk.inventory.services.alerts.alerts_update` for why that is enough): by id, and, for
# `products`, every live variant of those live products (a line may name a product that has
# a single variant).
_LOCK_SQL = f"""
SELECT {", ".join(f"v.{name}" for name in _VARIANT_FIELDS)},
       {", ".join(f"p.{name}" for name in _PRODUCT_FIELDS)},
       {", ".join(f"s.{name}" for name in _SHOP_FIELDS)},
       a.id IS NOT NULL
FROM catalog_variant v
JOIN catalog_product p ON p.id = v.product_id
JOIN shops_shop s ON s.id = v.shop_id
-- at most one: a variant has at most one unresolved alert (a partial unique index)
LEFT JOIN inventory_inventoryalert a ON a.variant_id = v.id AND a.resolved_at IS NULL
WHERE {{where}}
ORDER BY v.id
FOR NO KEY UPDATE OF v
"""  # noqa: S608 - column names only

_BY_ARRAYS = """v.id = ANY(%(variants)s::bigint[])
   OR (v.product_id = ANY(%(products)s::bigint[])
       AND v.deleted_at IS NULL AND p.deleted_at IS NULL)"""


@functools.cache
def _lock_sql(count: int) -> str:
    """The lock statement for `count` variant ids each in a parameter of its own (0: the
    arrays of variant and product ids). PostgreSQL plans a prepared statement with an array
    parameter for ten elements, so it keeps planning it afresh for each order's one or two
    (pg_prepared_statements: custom plans only); with one parameter per id its generic plan
    costs what the custom ones do, and is kept after the fifth execution."""
    if not count:
        return _LOCK_SQL.format(where=_BY_ARRAYS)
    ids = ", ".join(f"%(v{index})s::bigint" for index in range(count))
    return _LOCK_SQL.format(where=f"v.id IN ({ids})")


class LockedVariants(dict[int, Variant]):
    """Locked variants by id, each with its product and shop loaded; `alerted` are the ids of
    those with an unresolved low-stock alert."""

    alerted: set[int]

    def __init__(self) -> None:
        super().__init__()
        self.alerted = set()


@lock_plan("catalog.Variant")
def variants_lock(variant_ids: Iterable[int], *, products: Iterable[int] = ()) -> LockedVariants:
    """Lock the variants (live or not) in primary-key order, in one statement; with
    `products`, also every live variant of those live products. Each comes with its product
    and shop (for the order lines and their checks) and whether it has an unresolved alert."""
    wanted, owners = sorted(set(variant_ids)), sorted(set(products))
    locked = LockedVariants()
    if not wanted and not owners:
        return locked
    wanted = [value for value in wanted if -BIGINT_MAX - 1 <= value <= BIGINT_MAX]
    if owners or len(wanted) > LISTED_MAX:
        sql = _lock_sql(0)
        params = {"variants": id_array(wanted), "products": id_array(owners)}
    elif wanted:
        sql = _lock_sql(len(wanted))
        params = {f"v{index}": str(value) for index, value in enumerate(wanted)}
    else:  # only ids beyond bigint, which name no variant
        return locked
    rows = lock_raw("catalog.Variant", sql, params)
    db = connection.alias
    split, shop_at = len(_VARIANT_FIELDS), len(_VARIANT_FIELDS) + len(_PRODUCT_FIELDS)
    attributes = _VARIANT_FIELDS.index("attributes")
    for row in rows:
        values = list(row[:split])
        if isinstance(values[attributes], str):  # jsonb arrives as text, as Django asks
            values[attributes] = json.loads(values[attributes])
        variant = Variant.from_db(db, _VARIANT_FIELDS, values)
        variant.product = Product.from_db(db, _PRODUCT_FIELDS, row[split:shop_at])
        variant.shop = variant.product.shop = Shop.from_db(db, _SHOP_FIELDS, row[shop_at:-1])
        locked[variant.pk] = variant
        if row[-1]:
            locked.alerted.add(variant.pk)
    return locked


@lock_plan("inventory.Purchase")
def purchase_open_lock(*, purchase_id: int) -> Purchase | None:
    """The purchase, locked, unless it is gone or already reversed (then None)."""
    return lock_first(
        Purchase.objects.filter(pk=purchase_id, reversed_at__isnull=True), of_self=False
    )


@lock_plan("inventory.InventoryAlert")
def alert_active_lock(*, alert_id: int) -> InventoryAlert | None:
    """The active (unresolved) alert with its shop, locked; None if there is none."""
    return lock_first(
        InventoryAlert.objects.select_related("shop").filter(pk=alert_id, resolved_at__isnull=True)
    )
