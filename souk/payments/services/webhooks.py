"""Paystack webhooks. The signature is checked before anything in the body is read; a bad or
missing one writes nothing. The same delivery twice is recorded once and changes nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction

from souk.core.exceptions import DomainError, InvalidInput
from souk.payments.gateways.base import Exchange, redact
from souk.payments.gateways.paystack import signature_valid, verdict_from
from souk.payments.models import Payment, PaymentTransaction
from souk.payments.services.capture import payment_settle
from souk.payments.services.log import transaction_log


class BadSignature(DomainError):
    status_code = 401
    code = "authentication_failed"
    title = "Invalid signature"
    default_detail = "The webhook signature is missing or does not match."


def paystack_webhook(*, body: bytes, signature: str | None) -> str:
    """Handle one webhook delivery; returns what came of it."""
    if not signature_valid(body, signature):
        raise BadSignature()
    try:
        event: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested past the stack
        raise InvalidInput("The webhook body is not JSON.") from exc
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        raise InvalidInput("The webhook has no data object.")
    reference = str(data.get("reference") or data.get("transaction_reference") or "")
    payment = Payment.objects.filter(gateway="paystack", reference=reference).first()
    if payment is None:
        return "ignored"  # not one of ours (or not about a payment)
    name = str(event.get("event", ""))
    # Recorded and acted on together: if settling fails, the delivery is not marked seen and
    # Paystack's retry is handled afresh.
    with transaction.atomic():
        recorded = transaction_log(
            payment_id=payment.pk,
            kind=PaymentTransaction.Kind.WEBHOOK,
            status=name[:32] or "unknown",
            exchange=Exchange(response=redact(event), http_status=200),
            fingerprint=hashlib.sha256(body).hexdigest(),
        )
        if not recorded:
            return "duplicate"
        if name != "charge.success":
            return "recorded"
        verdict = verdict_from(data, Exchange(response=redact(data)))
        payment_settle(payment_id=payment.pk, verdict=verdict)
    return "settled"
