from __future__ import annotations

from dataclasses import asdict

from celery import shared_task


@shared_task(name="souk.payments.tasks.refund_send")
def refund_send_task(refund_id: int) -> str:
    from souk.payments.services.refunds import refund_send

    return refund_send(refund_id=refund_id).status


@shared_task(name="souk.payments.tasks.payments_reconcile")
def payments_reconcile_task() -> dict[str, int]:
    from souk.payments.services.reconcile import payments_reconcile

    return asdict(payments_reconcile())
