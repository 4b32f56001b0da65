"""Row locks for carts, orders and coupons. The order across apps: cart or order, then
coupon, then variants (souk.inventory.locks), then payment."""

from __future__ import annotations

from souk.accounts.models import User
from souk.orders.models import Cart, Coupon, Order


def cart_lock(user: User) -> Cart:
    cart, _ = Cart.objects.get_or_create(user=user)
    return Cart.objects.select_for_update().get(pk=cart.pk)


def order_lock(order_id: int, *, skip_locked: bool = False) -> Order | None:
    """The order row, locked (None if another transaction holds it and `skip_locked`)."""
    return (
        Order.all_objects.select_for_update(skip_locked=skip_locked, of=("self",))
        .filter(pk=order_id)
        .first()
    )


def coupon_lock(coupon_id: int) -> Coupon:
    return Coupon.all_objects.select_for_update().get(pk=coupon_id)


def orders_lock(order_ids: list[int]) -> list[Order]:
    """Several order rows (deleted or not), locked in primary-key order."""
    return list(
        Order.all_objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(order_ids)))
        .order_by("pk")
    )
