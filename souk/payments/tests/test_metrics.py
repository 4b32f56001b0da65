"""Payment outcomes counted for Prometheus (souk.payments.metrics), once committed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import responses
from prometheus_client import REGISTRY

from souk.payments.metrics import OUTCOMES
from souk.payments.models import Payment, Refund
from souk.payments.tests.conftest import (
    PAYSTACK,
    paystack_initializes,
    paystack_refunds,
    paystack_verifies,
)
from souk.payments.tests.test_refunds import cancel, mark_settled, paystack_payment, verify

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, float]:
    return {
        outcome: REGISTRY.get_sample_value("souk_payments_total", {"outcome": outcome}) or 0.0
        for outcome in OUTCOMES
    }


@pytest.fixture
def outcomes() -> Callable[[], dict[str, float]]:
    """outcomes() -> how much each outcome's counter grew since the test started (requested
    before any fixture that pays)."""
    before = _counts()
    return lambda: {k: v - before[k] for k, v in _counts().items() if v != before[k]}


@pytest.fixture
def paid(
    outcomes, paystack, customer, client_for, pending_order, api_client,
    django_capture_on_commit_callbacks,
) -> Payment:  # fmt: skip
    """`pending_order` paid through Paystack (after `outcomes` took its baseline)."""
    paystack_initializes(paystack)
    payment = paystack_payment(client_for(customer), pending_order)
    paystack_verifies(paystack, payment.reference)
    payment = verify(api_client, payment, django_capture_on_commit_callbacks)
    assert payment.status == "paid"
    return payment


def test_a_capture_and_a_refund_through_the_gateway_are_counted(
    outcomes, paystack, paid, pending_order, customer, client_for,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    assert outcomes() == {"captured": 1}
    paystack_refunds(paystack)

    cancel(client_for(customer), pending_order, django_capture_on_commit_callbacks)

    assert Refund.objects.get().status == "succeeded"
    assert outcomes() == {"captured": 1, "refunded": 1}


def test_a_refused_refund_and_its_settlement_by_hand_are_counted(
    outcomes, paystack, paid, pending_order, customer, client_for, admin_user,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    paystack.add(responses.POST, f"{PAYSTACK}/refund", json={"status": False}, status=400)

    cancel(client_for(customer), pending_order, django_capture_on_commit_callbacks)

    assert outcomes() == {"captured": 1, "refund_failed": 1}
    with django_capture_on_commit_callbacks(execute=True):
        mark_settled(admin_user, Refund.objects.get())
    assert outcomes() == {"captured": 1, "refund_failed": 1, "refunded": 1}


def test_a_failed_payment_is_counted_once(
    outcomes, customer, client_for, pending_order, api_client, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    started = client.post("/api/payments/start/", {"order": pending_order.pk, "gateway": "sandbox"})
    reference = started.json()["payment"]["reference"]
    api_client.post(f"/api/payments/sandbox/{reference}/", {"result": "fail"}, format="multipart")

    for _ in range(2):  # the second verification changes nothing
        with django_capture_on_commit_callbacks(execute=True):
            verified = api_client.get(
                f"/api/payments/verify/?gateway=sandbox&reference={reference}"
            )
        assert verified.json()["payment"]["status"] == "failed"

    assert outcomes() == {"failed": 1}


def test_an_unknown_outcome_is_refused():
    from souk.payments.metrics import payment_outcome_count

    with pytest.raises(ValueError, match="unknown payment outcome"):
        payment_outcome_count("lost")
