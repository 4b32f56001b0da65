"""The reconciliation job: payments left pending (a lost callback, a gateway that timed out)
are verified again; those still unfinished after PAYMENT_PENDING_MAX_HOURS are given up;
refunds that could not reach their gateway are sent again, and refunds cut off mid-call are
handed to administrators."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from souk.payments.metrics import payment_outcome_count
from souk.payments.models import Payment, PaymentTransaction, Refund
from souk.payments.services.capture import payment_verify
from souk.payments.services.log import transaction_log
from souk.payments.services.refunds import refund_send

logger = logging.getLogger(__name__)
Kind = PaymentTransaction.Kind
# A refund still "sending" after this long was cut off mid-call (calls time out far sooner).
INTERRUPTED_AFTER = timedelta(minutes=30)


@dataclass
class Reconciled:
    verified: int = 0
    paid: int = 0
    abandoned: int = 0
    refunds_sent: int = 0
    refunds_interrupted: int = 0


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
    reason = f"Not completed within {settings.PAYMENT_PENDING_MAX_HOURS} hours."
    for payment_id in Payment.objects.filter(
        status=Payment.Status.PENDING, created_at__lte=give_up
    ).values_list("pk", flat=True)[:batch]:
        with transaction.atomic():
            given_up = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
                status=Payment.Status.FAILED, failure_reason=reason, updated_at=moment
            )
            if given_up:
                payment_outcome_count("failed", given_up)
                transaction_log(
                    payment_id=payment_id, kind=Kind.VERIFY, status="abandoned", detail=reason
                )
                result.abandoned += 1
    # A refund claimed by a process that died mid-call may or may not have reached the
    # gateway: never sent again automatically, but shown to administrators as failed.
    result.refunds_interrupted = Refund.objects.filter(
        status=Refund.Status.SENDING, updated_at__lte=moment - INTERRUPTED_AFTER
    ).update(
        status=Refund.Status.FAILED,
        failure_reason="Interrupted while sending: check the gateway before settling by hand.",
        updated_at=moment,
    )
    payment_outcome_count("refund_failed", result.refunds_interrupted)
    for refund_id in Refund.objects.filter(
        status=Refund.Status.PENDING, updated_at__lte=quiet
    ).values_list("pk", flat=True)[:batch]:
        refund = refund_send(refund_id=refund_id)
        result.refunds_sent += refund.status == Refund.Status.SUCCEEDED
    return result
