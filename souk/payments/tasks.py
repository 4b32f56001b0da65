from __future__ import annotations

from dataclasses import asdict

from celery import shared_task


@shared_task
def refund_send(refund_id: int) -> str:
    from souk.payments.services.refunds import refund_send as send

    return send(refund_id=refund_id).status


@shared_task
def payments_reconcile() -> dict[str, int]:
    from souk.payments.services.reconcile import payments_reconcile as reconcile

    return asdict(reconcile())
