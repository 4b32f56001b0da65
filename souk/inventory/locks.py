"""Row locks on stock, always taken in primary-key order.

Every path that changes stock locks the variants it touches through `variants_lock`, ordered
by primary key, so two transactions that need the same variants wait for each other instead
of deadlocking. Across apps the order is: cart or order, then coupon, then variants, then
payment.
"""

from __future__ import annotations

from collections.abc import Iterable

from souk.catalog.models import Variant


def variants_lock(variant_ids: Iterable[int]) -> dict[int, Variant]:
    """Lock the variants (live or not) in primary-key order; {id: variant}."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    rows = (
        Variant.all_objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    return {variant.pk: variant for variant in rows}
