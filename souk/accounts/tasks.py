"""Celery tasks: thin wrappers that load by id and call a service."""

from __future__ import annotations

from celery import shared_task

from souk.accounts.services import otp as otp_services


@shared_task(
    name="souk.accounts.tasks.otp_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def otp_send_task(otp_id: int, code: str) -> bool:
    return otp_services.otp_deliver(otp_id=otp_id, code=code)


@shared_task(name="souk.accounts.tasks.otp_codes_prune")
def otp_codes_prune_task() -> int:
    return otp_services.otp_codes_prune()
