"""Refunds: opened inside the transaction that makes them owed (a paid order cancelled, or a
payment arriving for an order that can no longer be paid), sent to the gateway by a task after
commit, and retried by the reconciliation job if the gateway could not be reached. Where the
gateway has no refund API the refund waits for an administrator to settle it by hand."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from souk.accounts.models import User
from souk.core.tasks import enqueue_on_commit
from souk.orders.models import Order
from souk.orders.services.lifecycle import order_refund_due, order_refund_settled
from souk.payments.gateways import gateway_for
from souk.payments.gateways.base import GatewayError, GatewayRejected, GatewayUnavailable
from souk.payments.locks import refund_lock
from souk.payments.metrics import payment_outcome_count
from souk.payments.models import Payment, PaymentTransaction, Refund
from souk.payments.services.common import charge_of
from souk.payments.services.log import transaction_log

Kind = PaymentTransaction.Kind


def refund_open(*, payment: Payment | None, order: Order, reason: str) -> Refund:
    """Owe the buyer `order`'s total back (once per payment and order); sent after commit."""
    refund, created = Refund.objects.get_or_create(
        payment=payment,
        order=order,
        defaults={
            "amount": order.total,
            "currency": order.currency,
            "reason": reason[:255],
            "status": Refund.Status.PENDING if payment is not None else Refund.Status.MANUAL,
        },
    )
    if created:
        order_refund_due(order_id=order.pk)
        if payment is not None:
            from souk.payments.tasks import refund_send_task

            enqueue_on_commit(refund_send_task, refund.pk)
    return refund


def refund_for_cancelled(*, order: Order) -> Refund:
    """A paid order was cancelled (inside that transaction, under the order's lock): refund it
    through the payment that paid it, or, if it was marked paid by hand, by hand."""
    covering = Q(order_id=order.pk)
    if order.checkout_id is not None:
        covering |= Q(checkout_id=order.checkout_id)
    payment = (
        Payment.objects.filter(covering, status=Payment.Status.PAID)
        .order_by("paid_at", "pk")
        .first()
    )
    return refund_open(payment=payment, order=order, reason=f"Order {order.number} was cancelled.")


def refund_send(*, refund_id: int) -> Refund:
    """Send a pending refund to its gateway. It is claimed first (pending -> sending, committed)
    so two runs never send it twice; the gateway is called with no lock held."""
    claimed = Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).update(
        status=Refund.Status.SENDING, updated_at=timezone.now()
    )
    refund = Refund.objects.select_related("payment__user", "order").get(pk=refund_id)
    if not claimed or refund.payment is None:
        return refund
    payment = refund.payment
    adapter = gateway_for(payment.gateway)
    if not adapter.can_refund:
        Refund.objects.filter(pk=refund_id).update(
            status=Refund.Status.MANUAL,
            failure_reason=f"{payment.get_gateway_display()} refunds are settled by hand.",
            updated_at=timezone.now(),
        )
        refund.refresh_from_db()
        return refund
    try:
        done = adapter.refund(charge_of(payment), refund.amount)
    except GatewayUnavailable as failure:
        # Nothing reached the gateway for sure: back in the queue for the next run.
        _refund_not_sent(
            refund, payment, failure, log_status="unavailable", status=Refund.Status.PENDING
        )
    except GatewayRejected as failure:
        _refund_not_sent(
            refund, payment, failure, log_status="rejected", status=Refund.Status.FAILED
        )
        payment_outcome_count("refund_failed")
    else:
        with transaction.atomic():
            transaction_log(
                payment_id=payment.pk,
                kind=Kind.REFUND,
                status="ok",
                exchange=done.exchange,
                amount=refund.amount,
            )
            Refund.objects.filter(pk=refund_id).update(
                status=Refund.Status.SUCCEEDED,
                gateway_reference=done.gateway_reference[:128],
                failure_reason="",
                settled_at=timezone.now(),
                updated_at=timezone.now(),
            )
            order_refund_settled(order_id=refund.order_id)
            payment_outcome_count("refunded")
    Refund.objects.filter(pk=refund_id).update(attempts=F("attempts") + 1)
    refund.refresh_from_db()
    return refund


def _refund_not_sent(
    refund: Refund, payment: Payment, failure: GatewayError, *, log_status: str, status: str
) -> None:
    transaction_log(
        payment_id=payment.pk,
        kind=Kind.REFUND,
        status=log_status,
        exchange=failure.exchange,
        amount=refund.amount,
        detail=failure.detail,
    )
    Refund.objects.filter(pk=refund.pk).update(
        status=status, failure_reason=failure.detail[:255], updated_at=timezone.now()
    )


def refund_settle_by_hand(*, refund_id: int, actor: User) -> bool:
    """An administrator paid the money back outside the gateway."""
    with transaction.atomic():
        refund = refund_lock(refund_id)
        if refund.status not in (Refund.Status.MANUAL, Refund.Status.FAILED):
            return False
        refund.status = Refund.Status.SUCCEEDED
        refund.settled_at = timezone.now()
        refund.settled_by = actor
        refund.save(update_fields=["status", "settled_at", "settled_by", "updated_at"])
        order_refund_settled(order_id=refund.order_id)
        payment_outcome_count("refunded")
    return True
