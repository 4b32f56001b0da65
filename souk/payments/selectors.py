from __future__ import annotations

import re

from django.db.models import Prefetch, QuerySet

from souk.accounts.models import User
from souk.payments import policy
from souk.payments.models import Payment, PaymentTransaction, Refund, SandboxCharge

# What our references look like (`SK` + date + hex); anything else names no charge.
SANDBOX_REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def payments_visible(*, user: User) -> QuerySet[Payment]:
    """The caller's own payments; administrators see all."""
    payments = policy.visible_payments(user, Payment.objects.all())
    return payments.prefetch_related(
        Prefetch("transactions", queryset=PaymentTransaction.objects.order_by("id")),
        Prefetch("refunds", queryset=Refund.objects.order_by("id")),
    ).order_by("-created_at", "-id")


def payment_get(*, user: User, payment_id: int) -> Payment | None:
    return payments_visible(user=user).filter(pk=payment_id).first()


def payment_by_callback(
    *, gateway: str, reference: str = "", authority: str = ""
) -> Payment | None:
    if authority:
        return Payment.objects.filter(gateway=gateway, authority=authority).first()
    if reference:
        return Payment.objects.filter(gateway=gateway, reference=reference).first()
    return None


def sandbox_charge_get(*, reference: str) -> SandboxCharge | None:
    """The sandbox charge with this reference. Any string is safe to pass: one that cannot be
    a reference (a NUL, other characters, too long) finds nothing without a query."""
    if not SANDBOX_REFERENCE.fullmatch(reference):
        return None
    return SandboxCharge.objects.filter(reference=reference).first()
