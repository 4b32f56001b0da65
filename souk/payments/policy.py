"""Who may see payments: the person who paid, and platform administrators (anyone else gets
404, as if the payment did not exist)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from souk.core.permissions import is_platform_admin
from souk.payments.models import Payment


def can_view_payment(user: Any, payment: Payment) -> bool:
    if is_platform_admin(user):
        return True
    return bool(user and user.is_authenticated and payment.user_id == user.pk)


def visible_payments(user: Any, payments: QuerySet[Payment]) -> QuerySet[Payment]:
    """`payments` narrowed to those `user` may see (see `can_view_payment`)."""
    if is_platform_admin(user):
        return payments
    if not (user and user.is_authenticated):
        return payments.none()
    return payments.filter(user_id=user.pk)
