"""Verifying and capturing payments, exactly once.

`payment_verify` asks the gateway (no transaction open, no lock held) and hands its verdict
to `payment_settle`. Capturing takes its rows once through the `payment_capture_lock` plan
(souk.payments.locks), in the global lock order of souk.core.locks; a payment found already
paid under its lock is left alone, so duplicate callbacks, webhooks
and reconciliation runs (even concurrent ones) make one paid transition and one set of
effects. Only a verdict with our amount and currency pays anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from souk.orders.services.lifecycle import order_mark_paid, order_pay_late
from souk.payments.gateways import gateway_for
from souk.payments.gateways.base import GatewayUnavailable, Verdict
from souk.payments.locks import payment_capture_lock
from souk.payments.metrics import payment_outcome_count
from souk.payments.models import Payment, PaymentTransaction
from souk.payments.services.common import charge_of
from souk.payments.services.log import transaction_log
from souk.payments.services.refunds import refund_open

Kind = PaymentTransaction.Kind


def payment_verify(
    *, payment_id: int, params: Mapping[str, str] | None = None, kind: str = Kind.VERIFY
) -> Payment:
    """Ask the gateway about the payment and settle it. A paid payment is returned as it is;
    a gateway that cannot be reached leaves it pending for the reconciliation job."""
    payment = Payment.objects.select_related("user").get(pk=payment_id)
    if payment.status == Payment.Status.PAID:
        return payment
    adapter = gateway_for(payment.gateway)
    try:
        verdict = adapter.verify(charge_of(payment), params or {})
    except GatewayUnavailable as failure:
        transaction_log(
            payment_id=payment.pk,
            kind=kind,
            status="unavailable",
            exchange=failure.exchange,
            detail=failure.detail,
        )
        _checked(payment.pk)
        payment.refresh_from_db()
        return payment
    transaction_log(
        payment_id=payment.pk,
        kind=kind,
        status=verdict.state,
        exchange=verdict.exchange,
        amount=verdict.amount,
        detail=verdict.reason,
    )
    return payment_settle(payment_id=payment.pk, verdict=verdict)


def payment_settle(*, payment_id: int, verdict: Verdict) -> Payment:
    """Act on a gateway's verdict (from a verification or a signed webhook)."""
    if verdict.state == "pending":
        _checked(payment_id)
    elif verdict.state == "failed":
        _fail(payment_id, verdict.reason or "The gateway reported a failure.")
    else:
        payment = Payment.objects.get(pk=payment_id)
        mismatch = _mismatch(payment, verdict)
        if mismatch:
            transaction_log(
                payment_id=payment_id,
                kind=Kind.CAPTURE,
                status="mismatch",
                amount=verdict.amount,
                detail=mismatch,
            )
            _fail(payment_id, mismatch)
        else:
            return payment_settle_paid(
                payment_id=payment_id,
                amount=payment.amount,
                currency=payment.currency,
                transaction_id=verdict.transaction_id,
            )
    return Payment.objects.get(pk=payment_id)


def _mismatch(payment: Payment, verdict: Verdict) -> str:
    if verdict.currency is None or verdict.currency.upper() != payment.currency.upper():
        return (
            f"Currency mismatch: the gateway collected {verdict.currency}, not {payment.currency}."
        )
    if verdict.amount is None or verdict.amount != payment.amount:
        return f"Amount mismatch: the gateway collected {verdict.amount}, not {payment.amount}."
    return ""


def _checked(payment_id: int) -> None:
    Payment.objects.filter(pk=payment_id).update(last_checked_at=timezone.now())


def _fail(payment_id: int, reason: str) -> None:
    """pending -> failed (a paid payment stays paid; a failed one may still be captured if the
    gateway later confirms it)."""
    failed = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        status=Payment.Status.FAILED,
        failure_reason=reason[:255],
        last_checked_at=timezone.now(),
        updated_at=timezone.now(),
    )
    payment_outcome_count("failed", failed)


def payment_settle_paid(
    *, payment_id: int, amount: Decimal, currency: str, transaction_id: str = ""
) -> Payment:
    """The gateway collected `amount` `currency` (already checked against ours): mark the
    payment paid once and pay its orders; money for an order that can no longer be paid (it
    was cancelled, or expired and its stock is gone) is refunded."""
    with transaction.atomic():
        locked = payment_capture_lock(payment_id=payment_id)
        payment, orders = locked.payment, locked.orders
        if payment.status == Payment.Status.PAID:
            return payment
        payment.status = Payment.Status.PAID
        payment.paid_at = timezone.now()
        payment.failure_reason = ""
        payment.gateway_transaction_id = transaction_id[:128]
        payment.save(
            update_fields=[
                "status",
                "paid_at",
                "failure_reason",
                "gateway_transaction_id",
                "updated_at",
            ]
        )
        payment_outcome_count("captured")
        transaction_log(
            payment_id=payment.pk,
            kind=Kind.CAPTURE,
            status="paid",
            amount=amount,
            detail=f"{currency} {amount} captured",
        )
        for order in orders:
            if order_mark_paid(order_id=order.pk, locked_order=order) or order_pay_late(
                order_id=order.pk, locked_order=order
            ):
                continue
            refund_open(
                payment=payment,
                order=order,
                reason=f"Order {order.number} was {order.status} when its payment arrived.",
            )
    return payment
