"""Prices, coupons and discounts: all computed on the server from our own prices."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Protocol

from django.db.models import F, Q

from souk.accounts.models import User
from souk.catalog.models import Variant
from souk.core.exceptions import DomainError
from souk.orders.models import Coupon, CouponRedemption

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class CouponInvalid(DomainError):
    status_code = 400
    code = "validation_error"
    title = "Invalid coupon"
    default_detail = "This coupon cannot be used."

    def __init__(self, reason: str) -> None:
        super().__init__(reason, errors={"coupon": [reason]})


class Priced(Protocol):
    """What a coupon looks at in a line: its shop and its total."""

    @property
    def shop_id(self) -> int: ...

    @property
    def line_total(self) -> Decimal: ...


@dataclass(frozen=True)
class PricedLine:
    variant: Variant
    quantity: int

    @property
    def shop_id(self) -> int:
        return self.variant.shop_id

    @property
    def unit_price(self) -> Decimal:
        return self.variant.price

    @property
    def line_total(self) -> Decimal:
        return (self.variant.price * self.quantity).quantize(CENT)


def subtotal(lines: Iterable[PricedLine]) -> Decimal:
    return sum((line.line_total for line in lines), ZERO)


def coupon_code_normalize(code: str) -> str:
    """A coupon code as stored (codes are matched without case or surrounding space)."""
    return code.strip().upper()


def coupon_find(code: str) -> Coupon:
    coupon = Coupon.objects.filter(code=coupon_code_normalize(code)).first()
    if coupon is None:
        raise CouponInvalid("No such coupon.")
    return coupon


def coupon_use_take(coupon_id: int) -> bool:
    """Count one more use of the coupon unless that would pass `max_uses` (one conditional
    UPDATE: with the coupon's row lock held, the last use cannot be taken twice)."""
    return bool(
        Coupon.all_objects.filter(pk=coupon_id)
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .update(uses=F("uses") + 1)
    )


def customer_uses(coupon: Coupon, user: User) -> int:
    return CouponRedemption.objects.filter(
        coupon=coupon, user=user, released_at__isnull=True
    ).count()


def coupon_applicable(
    coupon: Coupon,
    *,
    user: User,
    lines: Sequence[Priced],
    now: datetime,
    customer_used: int | None = None,
) -> dict[int, Decimal]:
    """Per shop, the subtotal the coupon applies to; raises CouponInvalid with the reason.
    `customer_used`: the user's unreleased uses of the coupon, when the caller read them
    already (else they are counted here if the coupon limits them)."""
    if coupon.deleted_at is not None:
        raise CouponInvalid("No such coupon.")
    if coupon.starts_at and now < coupon.starts_at:
        raise CouponInvalid("This coupon is not valid yet.")
    if coupon.ends_at and now >= coupon.ends_at:
        raise CouponInvalid("This coupon has expired.")
    if coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
        raise CouponInvalid("This coupon has been used up.")
    if coupon.max_uses_per_customer is not None and (
        (customer_used if customer_used is not None else customer_uses(coupon, user))
        >= coupon.max_uses_per_customer
    ):
        raise CouponInvalid("You have used this coupon as often as it allows.")
    per_shop: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if coupon.shop_id is None or line.shop_id == coupon.shop_id:
            per_shop[line.shop_id] += line.line_total
    if not per_shop:
        raise CouponInvalid("This coupon is not valid for these products.")
    if sum(per_shop.values(), ZERO) < coupon.min_subtotal:
        raise CouponInvalid(f"This coupon needs a subtotal of at least {coupon.min_subtotal}.")
    return dict(per_shop)


def coupon_discount(coupon: Coupon, applicable: Decimal) -> Decimal:
    if coupon.kind == Coupon.Kind.PERCENT:
        amount = (applicable * coupon.value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        amount = coupon.value
    return min(amount, applicable).quantize(CENT)


def allocate(total: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """Split `total` over the keys in proportion to their weights, to the cent, the shares
    summing exactly to `total` (largest remainder)."""
    keys = sorted(weights)
    whole = sum(weights.values(), ZERO)
    if not keys or total <= 0 or whole <= 0:
        return dict.fromkeys(keys, ZERO)
    exact = {key: total * weights[key] / whole for key in keys}
    shares = {key: exact[key].quantize(CENT, rounding=ROUND_DOWN) for key in keys}
    left = int(((total - sum(shares.values(), ZERO)) / CENT).to_integral_value())
    by_remainder = sorted(keys, key=lambda key: (shares[key] - exact[key], key))
    for key in by_remainder[:left]:
        shares[key] += CENT
    return shares
