"""Who still may read a message when it is sent: a member removed from the shop after the
message was written gets nothing (the message is skipped), the buyer and the remaining members
still get theirs, and the platform admins still read low stock."""

from __future__ import annotations

import pytest
from django.core import mail

from souk.inventory.services.alerts import alerts_update
from souk.notifications.models import Kind, OutboxMessage
from souk.notifications.services.dispatch import outbox_dispatch
from souk.orders.services.placement import order_place
from souk.orders.tests.factories import ensure_address
from souk.shops.services import staff_remove

pytestmark = pytest.mark.django_db

SENT = OutboxMessage.Status.SENT
SKIPPED = OutboxMessage.Status.SKIPPED
GONE = "the recipient no longer works at the shop"


def outcomes() -> dict[int, tuple[str, str]]:
    """recipient -> (status, last error) of every outbox message (one each here)."""
    rows = OutboxMessage.objects.values_list("recipient_id", "status", "last_error")
    return {recipient: (status, error) for recipient, status, error in rows}


def test_a_member_removed_before_the_send_gets_no_order_email(
    customer, artisan, staff, shop, product
):
    ensure_address(customer)
    order_place(user=customer, shop=shop, items=[(product.variants.get().pk, 1)])
    assert sorted(OutboxMessage.objects.values_list("recipient_id", flat=True)) == sorted(
        [customer.pk, artisan.pk, staff.pk]
    )

    staff_remove(shop=shop, user_id=staff.pk)
    done = outbox_dispatch()

    assert (done.sent, done.skipped) == (2, 1)
    assert sorted(m.to for m in mail.outbox) == sorted([[customer.email], [artisan.email]])
    assert outcomes() == {
        customer.pk: (SENT, ""),
        artisan.pk: (SENT, ""),
        staff.pk: (SKIPPED, GONE),
    }


def test_low_stock_skips_a_removed_member_and_still_reaches_the_admins(
    artisan, staff, admin_user, shop, category, product_factory
):
    variant = product_factory(shop=shop, category=category, quantity=2).variants.get()
    alerts_update(variants=[variant])
    assert set(OutboxMessage.objects.values_list("recipient_id", "kind")) == {
        (artisan.pk, Kind.LOW_STOCK),
        (staff.pk, Kind.LOW_STOCK),
        (admin_user.pk, Kind.LOW_STOCK),
    }

    staff_remove(shop=shop, user_id=staff.pk)
    done = outbox_dispatch()

    assert (done.sent, done.skipped) == (2, 1)
    assert sorted(m.to for m in mail.outbox) == sorted([[artisan.email], [admin_user.email]])
    assert outcomes() == {
        artisan.pk: (SENT, ""),
        admin_user.pk: (SENT, ""),
        staff.pk: (SKIPPED, GONE),
    }
