"""Lock plans of payments, in the global lock order (`souk.core.locks.LOCK_ORDER`): the
orders a payment pays, the coupons and variants an expired one would need again, then the
payment itself."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from souk.catalog.models import Variant
from souk.core.locks import lock_plan, lock_rows
from souk.orders.models import Coupon, Order, OrderItem
from souk.payments.models import Payment, Refund


def _payment(payment_id: int) -> Payment:
    rows = lock_rows(Payment, [payment_id], of_self=False)
    if not rows:
        raise Payment.DoesNotExist("Payment matching query does not exist.")
    return rows[0]


@lock_plan("payments.Payment")
def payment_lock(payment_id: int) -> Payment:
    return _payment(payment_id)


@lock_plan("payments.Refund")
def refund_lock(refund_id: int) -> Refund:
    rows = lock_rows(Refund, [refund_id], of_self=False)
    if not rows:
        raise Refund.DoesNotExist("Refund matching query does not exist.")
    return rows[0]


@dataclass(frozen=True)
class LockedCapture:
    orders: list[Order]  # by primary key
    payment: Payment


@lock_plan("orders.Order", "orders.Coupon", "catalog.Variant", "payments.Payment")
def payment_capture_lock(*, payment_id: int) -> LockedCapture:
    """Everything capturing a payment changes, each row locked once: the orders it pays
    (its checkout's, or its one order), then for any expired one its coupon and variants
    (taken again if the order is paid late), then the payment."""
    paying = Payment.objects.filter(pk=payment_id)
    orders = lock_rows(
        Order.all_objects.filter(
            Q(checkout_id__in=paying.values("checkout_id")) | Q(pk__in=paying.values("order_id"))
        )
    )
    late = [order.pk for order in orders if order.status == Order.Status.EXPIRED]
    if late:
        coupon_ids = {order.coupon_id for order in orders if order.pk in late and order.coupon_id}
        lock_rows(Coupon.all_objects.all(), coupon_ids, of_self=False)
        lock_rows(
            Variant.all_objects.all(),
            OrderItem.objects.filter(order_id__in=late).values_list("variant_id", flat=True),
        )
    return LockedCapture(orders=orders, payment=_payment(payment_id))
