"""Lock plans of shops. The order they follow is `souk.core.locks.LOCK_ORDER`: a shop
before its products."""

from __future__ import annotations

from souk.core.locks import lock_plan, lock_rows
from souk.shops.models import Shop


@lock_plan("shops.Shop")
def shop_lock(*, shop_id: int, deleted: bool = False) -> Shop | None:
    """The shop, locked (None if gone; closed shops too when `deleted`)."""
    manager = Shop.all_objects if deleted else Shop.objects
    rows = lock_rows(manager.all(), [shop_id], of_self=False)
    return rows[0] if rows else None
