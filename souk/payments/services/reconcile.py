"""The reconciliation job: payments left pending (a lost callback, a gateway that timed out)
are verified again; those still unfinished after PAYMENT_PENDING_MAX_HOURS are given up;
refunds that could not reach their gateway are sent again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from souk.payments.models import Payment, Refund
from souk.payments.services.capture import payment_verify
from souk.payments.services.refunds import refund_send

logger = logging.getLogger(__name__)


@dataclass
class Reconciled:
    verified: int = 0
    paid: int = 0
    abandoned: int = 0
    refunds_sent: int = 0


def payments_reconcile(*, now: datetime | None = None, batch: int = 200) -> Reconciled:
    moment = now or timezone.now()
    quiet = moment - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    give_up = moment - timedelta(hours=settings.PAYMENT_PENDING_MAX_HOURS)
    result = Reconciled()
    stale = (
        Payment.objects.filter(status=Payment.Status.PENDING, created_at__lte=quiet)
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=quiet))
        .exclude(gateway="zarinpal", authority="")  # never reached Zarinpal: nothing to ask
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for payment_id in stale:
        try:
            payment = payment_verify(payment_id=payment_id)
        except Exception:  # one bad payment must not stop the rest
            logger.exception("reconciling payment %s failed", payment_id)
            continue
        result.verified += 1
        result.paid += payment.status == Payment.Status.PAID
    result.abandoned = Payment.objects.filter(
        status=Payment.Status.PENDING, created_at__lte=give_up
    ).update(
        status=Payment.Status.FAILED,
        failure_reason=f"Not completed within {settings.PAYMENT_PENDING_MAX_HOURS} hours.",
        updated_at=moment,
    )
    for refund_id in Refund.objects.filter(
        status=Refund.Status.PENDING, updated_at__lte=quiet
    ).values_list("pk", flat=True)[:batch]:
        refund = refund_send(refund_id=refund_id)
        result.refunds_sent += refund.status == Refund.Status.SUCCEEDED
    return result
