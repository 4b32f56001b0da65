"""Lock plans of carts, orders, delivery schedules and coupons, in the global lock order
(`souk.core.locks.LOCK_ORDER`)."""

from __future__ import annotations

from souk.accounts.models import User
from souk.core.locks import lock_first, lock_plan, lock_rows
from souk.orders.models import Cart, Coupon, DeliverySchedule, Order


@lock_plan("orders.Cart")
def cart_lock(user: User) -> Cart:
    cart, _ = Cart.objects.get_or_create(user=user)
    return lock_rows(Cart, [cart.pk], of_self=False)[0]


@lock_plan("orders.Order")
def order_lock(order_id: int, *, skip_locked: bool = False) -> Order | None:
    """The order row, locked (None if another transaction holds it and `skip_locked`)."""
    rows = lock_rows(Order.all_objects.all(), [order_id], skip_locked=skip_locked)
    return rows[0] if rows else None


@lock_plan("orders.Coupon")
def coupon_lock(coupon_id: int, *, deleted: bool = True) -> Coupon:
    """The coupon (deleted ones too unless `deleted` is False), locked;
    Coupon.DoesNotExist if there is none."""
    manager = Coupon.all_objects if deleted else Coupon.objects
    rows = lock_rows(manager.all(), [coupon_id], of_self=False)
    if not rows:
        raise Coupon.DoesNotExist("Coupon matching query does not exist.")
    return rows[0]


@lock_plan("orders.Order")
def orders_lock(order_ids: list[int]) -> list[Order]:
    """Several order rows (deleted or not), locked in primary-key order."""
    return lock_rows(Order.all_objects.all(), order_ids)


@lock_plan("orders.DeliverySchedule")
def delivery_schedule_lock(order: Order) -> DeliverySchedule:
    """The order's delivery schedule, locked; created (and so held) if it has none. The
    caller holds the order's lock, so no two transactions create it at once."""
    schedule = lock_first(DeliverySchedule.objects.filter(order=order), of_self=False)
    if schedule is None:
        schedule, _ = DeliverySchedule.objects.get_or_create(order=order)
    return schedule
