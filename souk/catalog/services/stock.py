"""Setting a variant's stock from the catalog (initial stock, or an explicit new level)."""

from __future__ import annotations

from souk.accounts.models import User
from souk.catalog.models import Variant


def variant_stock_initialize(*, variant: Variant, quantity: int, actor: User) -> None:
    if quantity:
        Variant.objects.filter(pk=variant.pk).update(quantity=quantity)
        variant.quantity = quantity


def variant_stock_set(*, variant: Variant, quantity: int, actor: User) -> None:
    locked = Variant.objects.select_for_update().get(pk=variant.pk)
    if locked.quantity != quantity:
        Variant.objects.filter(pk=variant.pk).update(quantity=quantity)
    variant.quantity = quantity
