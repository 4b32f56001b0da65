"""Restocking from suppliers, and manual adjustments: both through the stock ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.catalog.models import Variant
from souk.core.exceptions import InvalidInput, NotFound
from souk.inventory.locks import purchase_open_lock
from souk.inventory.models import Purchase, PurchaseItem, StockMovement
from souk.inventory.policy import require_stock_access
from souk.inventory.services.stock import StockChange, stock_apply
from souk.shops.models import Shop

Reason = StockMovement.Reason
# How far ahead of our clock a client's "now" may be and still not count as the future.
CLOCK_SKEW = timedelta(minutes=5)


def _shop_variants(shop: Shop, items: list[dict[str, Any]]) -> dict[int, Variant]:
    """The shop's live variants named by `items`; a line naming another variant is a 400."""
    wanted = {line["variant"] for line in items}
    found = {
        variant.pk: variant
        for variant in Variant.objects.filter(pk__in=wanted, shop=shop, product__deleted_at=None)
    }
    errors = [
        {} if line["variant"] in found else {"variant": ["No such variant in this shop."]}
        for line in items
    ]
    if any(errors):
        raise InvalidInput("Some items are not variants of this shop.", errors={"items": errors})
    return found


def purchase_moment(value: date | datetime) -> datetime:
    """`purchased_at` as an aware date-time: a plain date is its midnight UTC."""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValidationError({"purchased_at": ["Give a date-time with its UTC offset."]})
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def purchase_create(
    *,
    actor: User,
    shop: Shop,
    supplier: str,
    purchased_at: date | datetime,
    items: list[dict[str, Any]],
    reference: str = "",
) -> Purchase:
    """Record a restock: `items` are {variant (id), quantity, unit_cost}; each line raises its
    variant's stock (ledger reason `purchase`). `purchased_at` is a date-time, or a date meaning
    its midnight UTC."""
    require_stock_access(user=actor, shop=shop)
    if not items:
        raise ValidationError({"items": ["Give at least one item."]})
    moment = purchase_moment(purchased_at)
    if moment > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"purchased_at": ["A purchase cannot be in the future."]})
    variants = _shop_variants(shop, items)
    with transaction.atomic():
        purchase = Purchase.objects.create(
            shop=shop,
            supplier=supplier.strip(),
            reference=reference.strip(),
            purchased_at=moment,
            created_by=actor,
        )
        PurchaseItem.objects.bulk_create(
            [
                PurchaseItem(
                    purchase=purchase,
                    variant=variants[line["variant"]],
                    quantity=line["quantity"],
                    unit_cost=line["unit_cost"],
                )
                for line in items
            ]
        )
        stock_apply(
            changes=[StockChange(line["variant"], line["quantity"]) for line in items],
            reason=Reason.PURCHASE,
            reference=f"purchase:{purchase.pk}",
            actor=actor,
        )
    return purchase


def purchase_reverse(*, actor: User, purchase: Purchase) -> None:
    """Undo a purchase: its stock goes out again (409 `insufficient_stock` if some of it has
    been sold meanwhile, and then nothing changes)."""
    require_stock_access(user=actor, shop=purchase.shop)
    with transaction.atomic():
        locked = purchase_open_lock(purchase_id=purchase.pk)
        if locked is None:
            raise NotFound("No such purchase.")
        stock_apply(
            changes=[
                StockChange(variant_id, -quantity)
                for variant_id, quantity in locked.items.values_list("variant_id", "quantity")
            ],
            reason=Reason.PURCHASE,
            reference=f"purchase:{locked.pk}",
            actor=actor,
            note="purchase reversed",
        )
        locked.reversed_at = timezone.now()
        locked.save(update_fields=["reversed_at", "updated_at"])


def stock_adjust(*, actor: User, variant_id: int, delta: int, note: str = "") -> StockMovement:
    """A manual correction (a count, breakage, a gift...) by a member of the variant's shop or
    an administrator. A result below zero is 409."""
    variant = (
        Variant.objects.select_related("shop")
        .filter(pk=variant_id, product__deleted_at=None)
        .first()
    )
    if variant is None:
        raise ValidationError({"variant": ["No such variant."]})
    require_stock_access(user=actor, shop=variant.shop)
    if delta == 0:
        raise ValidationError({"delta": ["Use a non-zero change."]})
    (movement,) = stock_apply(
        changes=[StockChange(variant.pk, delta)],
        reason=Reason.ADJUSTMENT,
        reference="adjustment",
        actor=actor,
        note=note,
    )
    return movement
