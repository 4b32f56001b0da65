"""Lock plans of carts, orders, delivery schedules and coupons, in the global lock order
(`souk.core.locks.LOCK_ORDER`)."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from souk.accounts.models import User
from souk.core.locks import lock_first, lock_plan, lock_raw, lock_rows
from souk.orders.models import Cart, Coupon, DeliverySchedule, Order


@lock_plan("orders.Cart")
def cart_lock(user: User) -> Cart:
    cart, _ = Cart.objects.get_or_create(user=user)
    return lock_rows(Cart, [cart.pk], of_self=False)[0]


# The user's cart, created if it has none, locked and marked changed, in one statement (the
# update of an upsert locks the row as `cart_lock` does), which also makes the transaction's
# lock settings (`{settings}`, see `lock_raw`) before it takes the lock.
_CART_TOUCH_SQL = """
INSERT INTO orders_cart (user_id, created_at, updated_at)
SELECT %(user)s, %(now)s, %(now)s WHERE {settings}
ON CONFLICT (user_id) DO UPDATE SET updated_at = EXCLUDED.updated_at
RETURNING id, coupon_id, created_at
"""


@lock_plan("orders.Cart")
def cart_touch_lock(user: User) -> Cart:
    """The user's cart (created if needed), locked, its `updated_at` set to now."""
    now = timezone.now()
    ((cart_id, coupon_id, created_at),) = lock_raw(
        "orders.Cart", _CART_TOUCH_SQL, {"user": user.pk, "now": now}, settings_inline=True
    )
    cart = Cart(id=cart_id, user=user, coupon_id=coupon_id, created_at=created_at, updated_at=now)
    cart._state.adding = False
    cart._state.db = connection.alias
    return cart


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


_COUPON_FIELDS = tuple(f.attname for f in Coupon._meta.concrete_fields)
_COUPON_COLUMNS = ", ".join(str(f.column) for f in Coupon._meta.concrete_fields)

# The live coupon of a code, locked (a coupon deleted while this waited for its lock is no
# longer live, and so not returned).
_COUPON_BY_CODE_SQL = f"""
SELECT {_COUPON_COLUMNS}
FROM orders_coupon
WHERE code = %(code)s AND deleted_at IS NULL
ORDER BY id
FOR NO KEY UPDATE OF orders_coupon
"""  # noqa: S608 - column names only


@lock_plan("orders.Coupon")
def coupon_code_lock(code: str) -> Coupon | None:
    """The live coupon of this (normalized) code, found and locked in one statement; None
    if there is none."""
    rows = lock_raw("orders.Coupon", _COUPON_BY_CODE_SQL, {"code": code})
    if not rows:
        return None
    return Coupon.from_db(connection.alias, _COUPON_FIELDS, rows[0])


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
