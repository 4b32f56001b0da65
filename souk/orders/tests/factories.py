"""Test helpers for carts, coupons and orders (through the services, as the API does)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from souk.accounts.models import Address, User
from souk.catalog.models import Variant
from souk.orders.models import Coupon, Order
from souk.orders.services.placement import order_place


def make_coupon(
    *, code: str = "SAVE10", kind: str = "percent", value: str = "10", **extra: Any
) -> Coupon:
    """A coupon written straight to the database (platform-wide unless `shop` is given)."""
    return Coupon.objects.create(code=code.upper(), kind=kind, value=Decimal(value), **extra)


def ensure_address(user: User) -> Address:
    address = Address.objects.filter(user=user, is_default=True).first()
    if address is None:
        address = Address.objects.create(
            user=user,
            label="Home",
            recipient="Test Buyer",
            line1="1 Market Street",
            city="Fes",
            country="MA",
            is_default=True,
        )
    return address


def place_order(
    *,
    user: User,
    lines: list[tuple[Variant, int]],
    coupon_code: str | None = None,
) -> Order:
    """A direct order of `lines` (all from one shop) through `order_place`."""
    ensure_address(user)
    shop = lines[0][0].shop
    return order_place(
        user=user,
        shop=shop,
        items=[(variant.pk, quantity) for variant, quantity in lines],
        coupon_code=coupon_code,
    )
