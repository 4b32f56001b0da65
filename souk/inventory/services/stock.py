"""Changing stock: the only way a variant's quantity moves.

Every change locks the variants (primary-key order), refuses to take any of them below zero
(listing every short variant at once), updates the quantities, writes one ledger movement per
variant, and keeps low-stock alerts and the inventory caches current. Stock therefore always
equals the sum of its movements.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.catalog.models import Variant
from souk.core.arrays import LISTED_MAX, int_array
from souk.core.exceptions import DomainError
from souk.inventory.locks import LockedVariants, variants_lock
from souk.inventory.models import StockMovement
from souk.inventory.services.alerts import alerts_update
from souk.inventory.services.caches import inventory_changed

Reason = StockMovement.Reason


class InsufficientStock(DomainError):
    status_code = 409
    code = "insufficient_stock"
    title = "Insufficient stock"

    def __init__(self, shortages: list[dict[str, Any]], *, field: str = "items") -> None:
        count = len(shortages)
        super().__init__(
            f"{count} item{'s are' if count != 1 else ' is'} short of stock.",
            errors={field: shortages},
        )
        self.shortages = shortages


@dataclass(frozen=True)
class StockChange:
    variant_id: int
    delta: int


def _net(changes: Iterable[StockChange]) -> dict[int, int]:
    net: dict[int, int] = defaultdict(int)
    for change in changes:
        net[change.variant_id] += change.delta
    return {variant_id: delta for variant_id, delta in net.items() if delta}


def stock_shortages(
    locked: dict[int, Variant], wanted: dict[int, int], *, sellable_only: bool = True
) -> list[dict[str, Any]]:
    """Variants that cannot give `wanted[id]` units: {variant, requested, available}."""
    short = []
    for variant_id in sorted(wanted):
        requested = wanted[variant_id]
        variant = locked.get(variant_id)
        sellable = variant is not None and not (
            sellable_only and (variant.deleted_at is not None or variant.product.deleted_at)
        )
        available = variant.quantity if variant is not None and sellable else 0
        if requested > available:
            short.append({"variant": variant_id, "requested": requested, "available": available})
    return short


# The quantities and their ledger rows, in one statement: each variant's change is applied
# with `quantity = quantity + delta` (the variants are locked) and recorded with the quantity
# it left.
_APPLY_SQL = """
WITH changed AS (
    UPDATE catalog_variant v SET quantity = v.quantity + c.delta
    FROM {changes} AS c(id, delta)
    WHERE v.id = c.id
    RETURNING v.id, v.shop_id, c.delta, v.quantity
)
INSERT INTO inventory_stockmovement
    (variant_id, shop_id, delta, reason, reference, quantity_after, actor_id, note, created_at)
SELECT id, shop_id, delta, %(reason)s, %(reference)s, quantity, %(actor)s, %(note)s, %(now)s
FROM changed
ORDER BY id
RETURNING id, variant_id
"""


@functools.cache
def _apply_sql(count: int) -> str:
    """The statement for `count` changes, each in parameters of its own (0: two arrays), so
    that PostgreSQL keeps its generic plan, as for the variant lock
    (`souk.inventory.locks._lock_sql`)."""
    if not count:
        return _APPLY_SQL.format(changes="unnest(%(ids)s::bigint[], %(deltas)s::integer[])")
    rows = ", ".join(f"(%(i{n})s::bigint, %(d{n})s::integer)" for n in range(count))
    return _APPLY_SQL.format(changes=f"(VALUES {rows})")


def _apply_params(ids: list[int], net: dict[int, int]) -> tuple[str, dict[str, Any]]:
    if len(ids) > LISTED_MAX:
        return _apply_sql(0), {
            "ids": int_array(ids),
            "deltas": int_array(net[variant_id] for variant_id in ids),
        }
    params: dict[str, Any] = {}
    for n, variant_id in enumerate(ids):
        params[f"i{n}"] = str(variant_id)
        params[f"d{n}"] = str(net[variant_id])
    return _apply_sql(len(ids)), params


def stock_apply(
    *,
    changes: Iterable[StockChange],
    reason: str,
    reference: str = "",
    actor: User | None = None,
    note: str = "",
    locked: dict[int, Variant] | None = None,
) -> list[StockMovement]:
    """Apply stock changes atomically (see the module docstring). `locked` are variants the
    caller already locked (in primary-key order, with `variants_lock`); the rest are locked
    here."""
    net = _net(changes)
    if not net:
        return []
    # A caller that locked the variants runs its own transaction, which a failure here aborts
    # whole: no savepoint of our own (two round trips) is needed then.
    with transaction.atomic(savepoint=locked is None):
        variants = dict(locked or {})
        # The variants with an unresolved alert, as read under their locks (None: not known,
        # the alerts check the database).
        alerted: set[int] | None = set()
        if isinstance(locked, LockedVariants):
            alerted = set(locked.alerted)
        elif locked is not None:
            alerted = None
        missing = [variant_id for variant_id in net if variant_id not in variants]
        if missing:
            more = variants_lock(missing)
            variants.update(more)
            if alerted is not None:
                alerted |= more.alerted
        short = stock_shortages(
            variants,
            {vid: -delta for vid, delta in net.items() if delta < 0},
            sellable_only=False,
        )
        unknown = [vid for vid in net if vid not in variants]
        if unknown:
            short += [
                {"variant": vid, "requested": abs(net[vid]), "available": 0} for vid in unknown
            ]
        if short:
            raise InsufficientStock(short)
        ids = sorted(net)
        now = timezone.now()
        reference, note = reference[:64], note[:255]
        sql, params = _apply_params(ids, net)
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    **params,
                    "reason": reason,
                    "reference": reference,
                    "actor": actor.pk if actor is not None else None,
                    "note": note,
                    "now": now,
                },
            )
            written = {variant_id: pk for pk, variant_id in cursor.fetchall()}
        movements = []
        threshold = settings.LOW_STOCK_THRESHOLD
        crossed: set[int] = set()
        for variant_id in ids:
            variant = variants[variant_id]
            before = variant.quantity
            variant.quantity += net[variant_id]
            if (before > threshold) != (variant.quantity > threshold):
                crossed.add(variant_id)
            movements.append(
                StockMovement(
                    pk=written[variant_id],
                    variant_id=variant_id,
                    shop_id=variant.shop_id,
                    delta=net[variant_id],
                    reason=reason,
                    reference=reference,
                    quantity_after=variant.quantity,
                    actor=actor,
                    note=note,
                    created_at=now,
                )
            )
        alerts_update(
            variants=[variants[variant_id] for variant_id in ids], alerted=alerted, crossed=crossed
        )
        inventory_changed(shop_ids={variants[variant_id].shop_id for variant_id in net})
    return movements


def stock_set(
    *, variant: Variant, quantity: int, actor: User | None, note: str = ""
) -> StockMovement | None:
    """Set a variant's stock to `quantity` (an adjustment of the difference)."""
    with transaction.atomic():
        locked = variants_lock([variant.pk])
        delta = quantity - locked[variant.pk].quantity
        moves = stock_apply(
            changes=[StockChange(variant.pk, delta)],
            reason=Reason.ADJUSTMENT,
            reference=f"variant:{variant.pk}",
            actor=actor,
            note=note,
            locked=locked,
        )
        variant.quantity = quantity
    return moves[0] if moves else None
