"""The payment transaction log: one row per exchange with a gateway, callback or webhook."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from souk.payments.gateways.base import Exchange, redact
from souk.payments.models import PaymentTransaction

Kind = PaymentTransaction.Kind


def transaction_log(
    *,
    payment_id: int,
    kind: str,
    status: str,
    exchange: Exchange | None = None,
    amount: Decimal | None = None,
    detail: str = "",
    fingerprint: str | None = None,
) -> bool:
    """Record one exchange (redacted again, to be sure). False if `fingerprint` was already
    recorded: the same webhook delivered twice."""
    row = PaymentTransaction(
        payment_id=payment_id,
        kind=kind,
        status=status[:32],
        amount=amount,
        detail=(detail or (exchange.detail if exchange else ""))[:255],
        request=redact(exchange.request) if exchange else None,
        response=redact(exchange.response) if exchange else None,
        http_status=exchange.http_status if exchange else None,
        fingerprint=fingerprint,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        if fingerprint is None:
            raise
        return False
    return True
