"""The payments policy, asked directly for every role."""

from __future__ import annotations

from decimal import Decimal

import pytest

from souk.payments import policy
from souk.payments.models import Payment


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", False),
        ("customer", True),
        ("other_customer", False),
        ("other_artisan", False),
        ("staff", False),
        ("artisan", False),
        ("removed_staff", False),
        ("admin_user", True),
    ],
)
def test_a_payment_is_seen_by_its_payer_and_admins(as_role, pending_order, role, expected):
    payment = Payment.objects.create(
        user=pending_order.customer,
        order=pending_order,
        gateway="sandbox",
        reference="SKPOLICY1",
        amount=Decimal("20.00"),
        currency="USD",
    )
    user = as_role(role)

    assert policy.can_view_payment(user, payment) is expected
    visible = policy.visible_payments(user, Payment.objects.all())
    assert list(visible.values_list("pk", flat=True)) == ([payment.pk] if expected else [])
