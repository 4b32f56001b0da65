"""An order's life after placement: paid, processing, shipped, delivered; or cancelled or
expired, which give the stock back exactly once (`stock_returned_at` is set in the same
transaction as the return, under the order's row lock)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from souk.accounts.models import User
from souk.core.exceptions import InvalidTransition, NotFound
from souk.inventory.locks import variants_lock
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import StockChange, stock_apply, stock_shortages
from souk.orders.locks import coupon_lock, order_lock
from souk.orders.models import Coupon, CouponRedemption, DeliverySchedule, Order
from souk.orders.services import refunds
from souk.orders.services.notify import order_events
from souk.orders.services.pricing import coupon_use_take, customer_uses

Method = DeliverySchedule.Method
# What a shop member (or an administrator) may move an order to, from each status, by the
# order's delivery method: a delivered order is shipped first; a pickup order is never shipped,
# it is delivered when the buyer collects it.
FORWARD = {
    Method.DELIVERY: {
        Order.Status.PAID: Order.Status.PROCESSING,
        Order.Status.PROCESSING: Order.Status.SHIPPED,
        Order.Status.SHIPPED: Order.Status.DELIVERED,
    },
    Method.PICKUP: {
        Order.Status.PAID: Order.Status.PROCESSING,
        Order.Status.PROCESSING: Order.Status.DELIVERED,
    },
}
CANCELLABLE = (Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.PROCESSING)
CLOSED = (Order.Status.CANCELLED, Order.Status.EXPIRED)


def _locked(order_id: int) -> Order:
    order = order_lock(order_id)
    if order is None:
        raise NotFound("No such order.")
    return order


def order_transition(*, order_id: int, status: str, actor: User) -> Order:
    """Move a paid order forward: paid -> processing -> shipped -> delivered, or for a pickup
    paid -> processing -> delivered (collected)."""
    with transaction.atomic():
        order = _locked(order_id)
        method = (
            DeliverySchedule.objects.filter(order=order).values_list("method", flat=True).first()
            or Method.DELIVERY
        )
        if FORWARD[Method(method)].get(Order.Status(order.status)) != status:
            how = "A pickup order" if method == Method.PICKUP else "An order"
            raise InvalidTransition(f"{how} that is {order.status} cannot become {status}.")
        order.status = status
        order.save(update_fields=["status", "updated_at"])
        delivery_state = {
            Order.Status.SHIPPED: DeliverySchedule.State.IN_TRANSIT,
            Order.Status.DELIVERED: DeliverySchedule.State.DELIVERED,
        }.get(Order.Status(status))
        if delivery_state:
            DeliverySchedule.objects.filter(order=order).update(
                status=delivery_state, updated_at=timezone.now()
            )
        order_events(orders=[order], event=status, actor=actor)
    return order


def _release_coupon(order: Order) -> None:
    """Give the coupon use back once nothing it paid for is still open."""
    if order.coupon_id is None:
        return
    if order.checkout_id is not None:
        # Only the checkout's orders the coupon paid for (a shop coupon leaves the other
        # shops' orders without it, and closing those must not be waited for).
        still_open = (
            Order.all_objects.filter(checkout_id=order.checkout_id, coupon_id=order.coupon_id)
            .exclude(pk=order.pk)
            .exclude(status__in=CLOSED)
            .exists()
        )
        if still_open:
            return
        redemptions = CouponRedemption.objects.filter(
            checkout_id=order.checkout_id, released_at__isnull=True
        )
    else:
        redemptions = CouponRedemption.objects.filter(order=order, released_at__isnull=True)
    for redemption in redemptions:
        coupon_lock(redemption.coupon_id)
        Coupon.all_objects.filter(pk=redemption.coupon_id, uses__gt=0).update(uses=F("uses") - 1)
        CouponRedemption.objects.filter(pk=redemption.pk).update(released_at=timezone.now())


def _return_stock(order: Order, *, reason: str, actor: User | None) -> None:
    if order.stock_returned_at is not None:
        return
    stock_apply(
        changes=[
            StockChange(variant_id, quantity)
            for variant_id, quantity in order.items.values_list("variant_id", "quantity")
        ],
        reason=reason,
        reference=f"order:{order.number}",
        actor=actor,
    )
    order.stock_returned_at = timezone.now()


def _close(order: Order, *, status: str, reason: str, actor: User | None) -> None:
    """Inside a transaction holding the order lock. Lock order: souk.core.locks."""
    was_paid = order.status in (Order.Status.PAID, Order.Status.PROCESSING)
    _release_coupon(order)
    _return_stock(order, reason=reason, actor=actor)
    order.status = status
    order.cancelled_at = timezone.now()
    fields = ["status", "cancelled_at", "stock_returned_at", "updated_at"]
    if was_paid:
        order.payment_status = Order.PaymentStatus.REFUND_PENDING
        fields.append("payment_status")
    order.save(update_fields=fields)
    DeliverySchedule.objects.filter(order=order).update(
        status=DeliverySchedule.State.CANCELLED, updated_at=timezone.now()
    )
    order_events(orders=[order], event=status, actor=actor)
    if was_paid:
        refunds.refund_requested(order=order)


def order_cancel(*, order_id: int, actor: User) -> Order:
    """Cancel before shipping: the stock goes back; a paid order is refunded."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.status not in CANCELLABLE:
            raise InvalidTransition(f"An order that is {order.status} cannot be cancelled.")
        _close(
            order, status=Order.Status.CANCELLED, reason=StockMovement.Reason.CANCEL, actor=actor
        )
    return order


def orders_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Expire unpaid orders past their deadline, giving their stock back. Each order is
    locked without waiting: a second runner at the same time skips what the first holds, and
    every order is re-checked under its lock, so nothing expires twice."""
    moment = now or timezone.now()
    due = list(
        Order.objects.filter(status=Order.Status.PENDING_PAYMENT, expires_at__lte=moment)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    expired = 0
    for order_id in due:
        with transaction.atomic():
            order = order_lock(order_id, skip_locked=True)
            if order is None or order.status != Order.Status.PENDING_PAYMENT:
                continue
            if order.expires_at > moment:
                continue
            _close(
                order, status=Order.Status.EXPIRED, reason=StockMovement.Reason.EXPIRY, actor=None
            )
            expired += 1
    return expired


def order_mark_paid(
    *, order_id: int, actor: User | None = None, locked_order: Order | None = None
) -> bool:
    """pending_payment -> paid (payments, or an administrator). False if it was not pending.
    `locked_order`: the order, already locked by the caller's lock plan."""
    with transaction.atomic():
        order = locked_order if locked_order is not None else _locked(order_id)
        if order.status != Order.Status.PENDING_PAYMENT:
            return False
        order.status = Order.Status.PAID
        order.payment_status = Order.PaymentStatus.PAID
        order.paid_at = timezone.now()
        order.save(update_fields=["status", "payment_status", "paid_at", "updated_at"])
        order_events(orders=[order], event="paid", actor=actor)
    return True


def _reclaim_coupon(order: Order) -> bool:
    """Take back the coupon use that expiry released (False if the coupon is used up now)."""
    if order.coupon_id is None:
        return True
    redemptions = (
        CouponRedemption.objects.filter(checkout_id=order.checkout_id)
        if order.checkout_id is not None
        else CouponRedemption.objects.filter(order=order)
    )
    released = [r for r in redemptions if r.released_at is not None]
    if not released or len(released) < len(redemptions):
        return True  # never redeemed here, or still held for another order of the checkout
    for redemption in released:
        coupon = coupon_lock(redemption.coupon_id)
        limit = coupon.max_uses_per_customer
        if limit is not None and customer_uses(coupon, order.customer) >= limit:
            return False
        if not coupon_use_take(coupon.pk):
            return False
        CouponRedemption.objects.filter(pk=redemption.pk).update(released_at=None)
    return True


def order_pay_late(*, order_id: int, locked_order: Order | None = None) -> bool:
    """A payment completed after its order expired: take the stock (and the coupon use) again
    and mark the order paid, if all of it is still there. False, with nothing changed, if
    not (the payment is then refunded). Runs inside the caller's transaction, which holds the
    order's lock (`locked_order`, or it is locked here). Lock order: souk.core.locks."""
    with transaction.atomic():
        order = locked_order if locked_order is not None else _locked(order_id)
        if order.status != Order.Status.EXPIRED or order.stock_returned_at is None:
            return False
        if order.coupon_id is not None:
            coupon_lock(order.coupon_id)  # before the variants: the global lock order
        wanted = dict(order.items.values_list("variant_id", "quantity"))  # a line per variant
        locked = variants_lock(wanted)
        if stock_shortages(locked, wanted):
            return False
        if not _reclaim_coupon(order):
            transaction.set_rollback(True)
            return False
        stock_apply(
            changes=[StockChange(variant_id, -quantity) for variant_id, quantity in wanted.items()],
            reason=StockMovement.Reason.SALE,
            reference=f"order:{order.number}",
            locked=locked,
        )
        order.status = Order.Status.PAID
        order.payment_status = Order.PaymentStatus.PAID
        order.paid_at = timezone.now()
        order.cancelled_at = None
        order.stock_returned_at = None
        order.save(
            update_fields=[
                "status",
                "payment_status",
                "paid_at",
                "cancelled_at",
                "stock_returned_at",
                "updated_at",
            ]
        )
        DeliverySchedule.objects.filter(order=order).update(
            status=DeliverySchedule.State.SCHEDULED, updated_at=timezone.now()
        )
        order_events(orders=[order], event="paid")
    return True


def order_refund_settled(*, order_id: int) -> None:
    """The money of a cancelled or expired order went back to the buyer."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.payment_status == Order.PaymentStatus.REFUND_PENDING:
            order.payment_status = Order.PaymentStatus.REFUNDED
            order.save(update_fields=["payment_status", "updated_at"])
            order_events(orders=[order], event="refunded")


def order_refund_due(*, order_id: int) -> None:
    """A payment for a closed order arrived: its money is owed back to the buyer."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.status in CLOSED and order.payment_status == Order.PaymentStatus.UNPAID:
            order.payment_status = Order.PaymentStatus.REFUND_PENDING
            order.save(update_fields=["payment_status", "updated_at"])


def order_soft_delete(*, order_id: int) -> None:
    """Administrators hide an order (it stays in shop history and the ledger)."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.deleted_at is None:
            order.deleted_at = timezone.now()
            order.save(update_fields=["deleted_at"])


def order_restore(*, order_id: int) -> Order:
    """Administrators bring a soft-deleted order back; a live order is left as it is."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.deleted_at is not None:
            order.deleted_at = None
            order.save(update_fields=["deleted_at"])
    return order
