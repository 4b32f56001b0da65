"""Stock set from the catalog (a new variant's initial stock, or an edited level), handed over
through `souk.catalog.hooks`: both go through the inventory ledger like every other stock
change."""

from __future__ import annotations

from souk.accounts.models import User
from souk.catalog.models import Variant
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import StockChange, stock_apply, stock_set


def variant_stock_initialize(*, variant: Variant, quantity: int, actor: User) -> None:
    if quantity:
        stock_apply(
            changes=[StockChange(variant.pk, quantity)],
            reason=StockMovement.Reason.ADJUSTMENT,
            reference=f"variant:{variant.pk}",
            actor=actor,
            note="initial stock",
        )
        variant.quantity = quantity


def variant_stock_set(*, variant: Variant, quantity: int, actor: User) -> None:
    stock_set(variant=variant, quantity=quantity, actor=actor, note="stock level edited")
