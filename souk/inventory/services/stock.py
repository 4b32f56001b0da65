"""Changing stock: the only way a variant's quantity moves.

Every change locks the variants (primary-key order), refuses to take any of them below zero
(listing every short variant at once), updates the quantities, writes one ledger movement per
variant, and keeps low-stock alerts and the inventory caches current. Stock therefore always
equals the sum of its movements. `stock_apply` sends its own statement; `StockWrite` gives the
same update and ledger rows to another statement to run (an order takes its stock in the
statement that writes it), and finishes the same way afterwards.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
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
# it left. `{p}` prefixes the parameters' names, `{guard}` narrows the update (both empty for
# `stock_apply`'s own statement; see `StockWrite` for the ones another statement embeds).
_CHANGED_SQL = """UPDATE catalog_variant v SET quantity = v.quantity + c.delta
    FROM {changes} AS c(id, delta)
    WHERE v.id = c.id{guard}
    RETURNING v.id, v.shop_id, c.delta, v.quantity"""

_MOVED_SQL = """INSERT INTO inventory_stockmovement
    (variant_id, shop_id, delta, reason, reference, quantity_after, actor_id, note, created_at)
SELECT id, shop_id, delta, %({p}reason)s, %({p}reference)s, quantity, %({p}actor)s,
       %({p}note)s, %({p}now)s
FROM {changed}
ORDER BY id
RETURNING id, variant_id"""

_APPLY_SQL = f"""
WITH changed AS (
    {_CHANGED_SQL}
)
{_MOVED_SQL}
"""

# The same two statements as CTEs of a caller's statement: the stock is changed only if the
# row `{only_if}` names was written (an order whose number was taken writes nothing).
_EMBEDDED_SQL = f"""stock_changed AS (
    {_CHANGED_SQL}
),
stock_moved AS (
    {_MOVED_SQL}
)"""

_EMBEDDED_PREFIX = "stock_"


def _changes_sql(count: int, prefix: str) -> str:
    """The changes as rows (id, delta): `count` of them each in parameters of its own (0: two
    arrays), so that PostgreSQL keeps its generic plan, as for the variant lock
    (`souk.inventory.locks._lock_sql`)."""
    if not count:
        return f"unnest(%({prefix}ids)s::bigint[], %({prefix}deltas)s::integer[])"
    rows = ", ".join(f"(%({prefix}i{n})s::bigint, %({prefix}d{n})s::integer)" for n in range(count))
    return f"(VALUES {rows})"


@functools.cache
def _apply_sql(count: int) -> str:
    """`stock_apply`'s statement for `count` changes (see `_changes_sql`)."""
    return _APPLY_SQL.format(changes=_changes_sql(count, ""), guard="", p="", changed="changed")


@functools.cache
def _embedded_sql(count: int, only_if: str) -> str:
    """The CTEs `StockWrite` embeds for `count` changes, guarded by the CTE `only_if`."""
    return _EMBEDDED_SQL.format(
        changes=_changes_sql(count, _EMBEDDED_PREFIX),
        guard=f" AND EXISTS (SELECT 1 FROM {only_if})",  # noqa: S608 - a CTE's name
        p=_EMBEDDED_PREFIX,
        changed="stock_changed",
    )


def _apply_params(ids: list[int], net: dict[int, int], prefix: str = "") -> dict[str, Any]:
    if len(ids) > LISTED_MAX:
        return {
            f"{prefix}ids": int_array(ids),
            f"{prefix}deltas": int_array(net[variant_id] for variant_id in ids),
        }
    params: dict[str, Any] = {}
    for n, variant_id in enumerate(ids):
        params[f"{prefix}i{n}"] = str(variant_id)
        params[f"{prefix}d{n}"] = str(net[variant_id])
    return params


def _listed(ids: list[int]) -> int:
    """How many changes `_apply_params` lists one by one (0: as arrays)."""
    return len(ids) if len(ids) <= LISTED_MAX else 0


@dataclass
class _Change:
    """A stock change whose variants are locked and can give it, before and after its
    statement: what both `stock_apply` and `StockWrite` write and then finish."""

    variants: dict[int, Variant]
    # the variants with an unresolved alert, as read under their locks (None: not known, the
    # alerts check the database)
    alerted: set[int] | None
    net: dict[int, int]
    reason: str
    reference: str
    actor: User | None
    note: str
    now: datetime = field(default_factory=timezone.now)

    @property
    def ids(self) -> list[int]:
        return sorted(self.net)

    def params(self, prefix: str = "") -> dict[str, Any]:
        return {
            **_apply_params(self.ids, self.net, prefix),
            f"{prefix}reason": self.reason,
            f"{prefix}reference": self.reference[:64],
            f"{prefix}actor": self.actor.pk if self.actor is not None else None,
            f"{prefix}note": self.note[:255],
            f"{prefix}now": self.now,
        }

    def finish(self, written: dict[int, int]) -> list[StockMovement]:
        """After the statement wrote the ledger rows `written` ({variant id: movement id}):
        the variants' new quantities, their alerts (the database decides for those that
        crossed the threshold) and the inventory caches."""
        movements = []
        threshold = settings.LOW_STOCK_THRESHOLD
        crossed: set[int] = set()
        reference, note = self.reference[:64], self.note[:255]
        for variant_id in self.ids:
            variant = self.variants[variant_id]
            before = variant.quantity
            variant.quantity += self.net[variant_id]
            if (before > threshold) != (variant.quantity > threshold):
                crossed.add(variant_id)
            movements.append(
                StockMovement(
                    pk=written[variant_id],
                    variant_id=variant_id,
                    shop_id=variant.shop_id,
                    delta=self.net[variant_id],
                    reason=self.reason,
                    reference=reference,
                    quantity_after=variant.quantity,
                    actor=self.actor,
                    note=note,
                    created_at=self.now,
                )
            )
        alerts_update(
            variants=[self.variants[variant_id] for variant_id in self.ids],
            alerted=self.alerted,
            crossed=crossed,
        )
        inventory_changed(shop_ids={self.variants[variant_id].shop_id for variant_id in self.net})
        return movements


def _refuse_shortages(variants: dict[int, Variant], net: dict[int, int]) -> None:
    """InsufficientStock unless every locked variant can give its change."""
    short = stock_shortages(
        variants,
        {vid: -delta for vid, delta in net.items() if delta < 0},
        sellable_only=False,
    )
    unknown = [vid for vid in net if vid not in variants]
    if unknown:
        short += [{"variant": vid, "requested": abs(net[vid]), "available": 0} for vid in unknown]
    if short:
        raise InsufficientStock(short)


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
        _refuse_shortages(variants, net)
        change = _Change(variants, alerted, net, reason, reference, actor, note)
        with connection.cursor() as cursor:
            cursor.execute(_apply_sql(_listed(change.ids)), change.params())
            written = {variant_id: pk for pk, variant_id in cursor.fetchall()}
        return change.finish(written)


class StockWrite:
    """A stock change that another statement makes, with the row it hangs off (an order
    and its sale): `sql` are two CTEs, `stock_changed` (the quantities) and `stock_moved` (the
    ledger rows), to put in that statement's WITH list, with `params(reference)`; `moved` is
    an SQL expression for its result row (the ledger rows written, as [variant id, movement
    id] pairs), to give to `finish` once the statement ran.

    The variants must be locked by the caller (one `variants_lock` in its transaction) and
    already checked (`stock_shortages`): a shortage here is refused before anything is
    sent, and so is a variant that was not locked. The quantities change only if the CTE
    `only_if` returned a row, so that a statement that writes nothing (an order number that
    was taken) changes no stock either. The SQL text depends only on the number of variants
    (one parameter per variant up to LISTED_MAX, arrays beyond), so that PostgreSQL keeps the
    embedding statement's generic plan."""

    moved = "(SELECT array_agg(ARRAY[variant_id, id] ORDER BY variant_id) FROM stock_moved)"

    def __init__(
        self,
        *,
        changes: Iterable[StockChange],
        reason: str,
        locked: LockedVariants,
        only_if: str,
        actor: User | None = None,
        note: str = "",
    ) -> None:
        net = _net(changes)
        if not net:
            raise ValueError("no stock change to write")
        _refuse_shortages(locked, net)
        # the reference is the statement's, given with its parameters
        self._change = _Change(locked, set(locked.alerted), net, reason, "", actor, note)
        self.sql = _embedded_sql(_listed(self._change.ids), only_if)

    def params(self, reference: str) -> dict[str, Any]:
        """The CTEs' parameters, the ledger rows naming `reference` (which may change from
        one try of the statement to the next, as an order's number does)."""
        self._change.reference = reference
        return self._change.params(_EMBEDDED_PREFIX)

    def finish(self, moved: list[list[int]] | None) -> list[StockMovement]:
        """After the statement: the ledger rows it wrote (its `moved` value), then as
        `stock_apply` after its own statement (quantities, alerts, caches)."""
        written = {int(pair[0]): int(pair[1]) for pair in moved or []}
        if sorted(written) != self._change.ids:
            raise RuntimeError("the stock change was not written")
        return self._change.finish(written)


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
