"""Starting a payment: reserve a `Payment` row and commit, ask the gateway for a payment page
(no transaction open, no lock held), then record where to send the customer."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import NoReturn

from django.db import transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.core.exceptions import (
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ServiceUnavailable,
)
from souk.orders.models import Checkout, Order
from souk.payments.gateways import gateway_for, gateway_unavailable_reason
from souk.payments.gateways.base import GatewayError, GatewayUnavailable
from souk.payments.metrics import payment_outcome_count
from souk.payments.models import Payment, PaymentTransaction
from souk.payments.services.capture import payment_settle_paid
from souk.payments.services.common import charge_of
from souk.payments.services.log import transaction_log

Kind = PaymentTransaction.Kind


class PaymentFailed(DomainError):
    status_code = 402
    code = "payment_failed"
    title = "Payment failed"
    default_detail = "The payment gateway refused the payment."


def _new_reference() -> str:
    return f"SK{timezone.now():%y%m%d}{secrets.token_hex(8).upper()}"


def _payable(*, user: User, checkout_id: int | None, order_id: int | None) -> list[Order]:
    """The caller's orders to pay (404 for anything not theirs); all must await payment."""
    if checkout_id is not None:
        checkout = Checkout.objects.filter(pk=checkout_id, user=user).first()
        if checkout is None:
            raise NotFound("No such checkout.")
        orders = list(Order.all_objects.filter(checkout=checkout).order_by("pk"))
    else:
        orders = list(Order.objects.filter(pk=order_id or 0, customer=user))
        if not orders:
            raise NotFound("No such order.")
    now = timezone.now()
    for order in orders:
        if order.status != Order.Status.PENDING_PAYMENT or order.deleted_at is not None:
            raise InvalidTransition(
                f"Order {order.number} is {order.status}; only orders awaiting payment are paid."
            )
        if order.expires_at <= now:
            raise InvalidTransition(f"The time to pay order {order.number} has run out.")
    return orders


def payment_start(
    *,
    user: User,
    gateway: str,
    checkout_id: int | None = None,
    order_id: int | None = None,
    return_url: str | None = None,
) -> Payment:
    """Start paying a checkout or one order. The gateway sends the customer back to
    `return_url` (a web page's) or, by default, to PAYMENT_CALLBACK_URL."""
    unavailable = gateway_unavailable_reason(gateway)
    if unavailable is not None:
        raise InvalidInput(unavailable, errors={"gateway": [unavailable]})
    adapter = gateway_for(gateway)
    with transaction.atomic():
        orders = _payable(user=user, checkout_id=checkout_id, order_id=order_id)
        amount = sum((order.total for order in orders), Decimal("0.00"))
        currency = orders[0].currency
        problem = adapter.currency_problem(amount, currency) if amount > 0 else None
        if problem:
            raise InvalidInput(problem, errors={"gateway": [problem]})
        payment = Payment.objects.create(
            user=user,
            checkout_id=checkout_id,
            order_id=None if checkout_id is not None else order_id,
            gateway=gateway,
            reference=_new_reference(),
            amount=amount,
            currency=currency,
        )
    numbers = [order.number for order in orders]
    if amount == 0:  # nothing to collect (a coupon covered it all)
        return payment_settle_paid(payment_id=payment.pk, amount=amount, currency=currency)
    try:
        started = adapter.start(charge_of(payment, numbers=numbers, return_url=return_url))
    except GatewayError as failure:
        _start_failed(payment, failure)
    with transaction.atomic():
        transaction_log(
            payment_id=payment.pk,
            kind=Kind.REQUEST,
            status="ok",
            exchange=started.exchange,
            amount=amount,
        )
        Payment.objects.filter(pk=payment.pk).update(
            authority=started.authority,
            redirect_url=started.redirect_url,
            updated_at=timezone.now(),
        )
    payment.refresh_from_db()
    return payment


def _start_failed(payment: Payment, failure: GatewayError) -> NoReturn:
    unavailable = isinstance(failure, GatewayUnavailable)
    with transaction.atomic():
        transaction_log(
            payment_id=payment.pk,
            kind=Kind.REQUEST,
            status="unavailable" if unavailable else "rejected",
            exchange=failure.exchange,
            amount=payment.amount,
            detail=failure.detail,
        )
        # The customer never saw a payment page, so nothing can have been collected.
        failed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED,
            failure_reason=failure.detail[:255],
            updated_at=timezone.now(),
        )
        payment_outcome_count("failed", failed)
    if unavailable:
        raise ServiceUnavailable(f"{failure.detail} Try again in a moment.")
    raise PaymentFailed(failure.detail)
