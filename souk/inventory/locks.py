"""Lock plans of inventory: stock, purchases and alerts, in the global lock order
(`souk.core.locks.LOCK_ORDER`).

Every path that changes stock locks the variants it touches through `variants_lock`, ordered
by primary key, so two transactions that need the same variants wait for each other instead
of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable

from souk.catalog.models import Variant
from souk.core.locks import lock_first, lock_plan, lock_rows
from souk.inventory.models import InventoryAlert, Purchase


@lock_plan("catalog.Variant")
def variants_lock(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """Lock the variants (live or not) in primary-key order; {id: variant}."""
    rows = lock_rows(Variant.all_objects.select_related("product"), variant_ids)
    return {variant.pk: variant for variant in rows}


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
