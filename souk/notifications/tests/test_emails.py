"""Order emails: one message per recipient (the buyer, and each member of the shop), each with
every figure of the order and how it reaches the buyer."""

from __future__ import annotations

import pytest
from django.core import mail

from souk.orders.services.lifecycle import order_mark_paid, order_transition
from souk.orders.services.placement import order_place
from souk.orders.tests.factories import ensure_address, make_coupon

pytestmark = pytest.mark.django_db


@pytest.fixture
def vase_and_jug(product_factory, shop, category):
    vase = product_factory(
        shop=shop, category=category, name="Tall Vase", price="36.00", quantity=5
    ).variants.get()
    jug = product_factory(
        shop=shop, category=category, name="Water Jug", price="38.00", quantity=5
    ).variants.get()
    return vase, jug


@pytest.fixture
def discounted_order(customer, shop, vase_and_jug):
    """2 vases (72.00) and a jug (38.00) with 10 % off: 110.00 - 11.00 = 99.00."""
    vase, jug = vase_and_jug
    ensure_address(customer)
    make_coupon(code="TENOFF", kind="percent", value="10")
    return order_place(
        user=customer, shop=shop, items=[(vase.pk, 2), (jug.pk, 1)], coupon_code="TENOFF"
    )


def sent_by(action, capture):
    mail.outbox.clear()
    with capture(execute=True):
        action()
    return {message.to[0]: message for message in mail.outbox}


def test_the_paid_email_goes_to_each_recipient_alone_with_every_figure(
    customer, artisan, staff, discounted_order, django_capture_on_commit_callbacks
):
    order = discounted_order

    messages = sent_by(
        lambda: order_mark_paid(order_id=order.pk), django_capture_on_commit_callbacks
    )

    assert sorted(messages) == sorted([customer.email, artisan.email, staff.email])
    for message in messages.values():
        assert len(message.to) == 1
        assert (message.cc, message.bcc) == ([], [])
        assert message.subject == f"Order {order.number} is paid"
        for figure in (
            f"2 x Tall Vase ({order.items.get(name='Tall Vase').sku}) at 36.00 USD = 72.00 USD",
            f"1 x Water Jug ({order.items.get(name='Water Jug').sku}) at 38.00 USD = 38.00 USD",
            "Subtotal: 110.00 USD",
            "Discount (coupon TENOFF): -11.00 USD",
            "Total: 99.00 USD",
            "Currency: USD",
        ):
            assert figure in message.body.splitlines(), (message.to, figure)
    others = {customer.email, artisan.email, staff.email}
    for recipient, message in messages.items():
        for other in others - {recipient}:
            assert other not in message.body
            assert other not in str(message.message())


def test_the_buyer_reads_where_it_goes_and_members_read_where_to_ship(
    customer, artisan, discounted_order, django_capture_on_commit_callbacks
):
    address = ensure_address(customer)

    messages = sent_by(
        lambda: order_mark_paid(order_id=discounted_order.pk), django_capture_on_commit_callbacks
    )

    buyer_lines = messages[customer.email].body.splitlines()
    member_lines = messages[artisan.email].body.splitlines()
    assert buyer_lines[0] == f"Hello {customer.full_name},"
    assert "Delivery to:" in buyer_lines
    assert f"  {address.line1}" in buyer_lines
    assert member_lines[0] == f"Hello {artisan.full_name},"
    assert f"Customer: {customer.full_name}" in member_lines
    assert "Ship to:" in member_lines
    assert f"  {address.recipient}" in member_lines
    assert f"  {address.line1}" in member_lines


def test_an_order_without_a_coupon_still_lists_its_discount(
    customer, shop, vase_and_jug, django_capture_on_commit_callbacks
):
    vase, _ = vase_and_jug
    ensure_address(customer)
    order = order_place(user=customer, shop=shop, items=[(vase.pk, 1)])

    messages = sent_by(
        lambda: order_mark_paid(order_id=order.pk), django_capture_on_commit_callbacks
    )

    lines = messages[customer.email].body.splitlines()
    assert "Subtotal: 36.00 USD" in lines
    assert "Discount: -0.00 USD" in lines
    assert "Total: 36.00 USD" in lines


def test_pickup_emails_name_the_shop_to_collect_from(
    customer, artisan, shop, vase_and_jug, django_capture_on_commit_callbacks
):
    vase, _ = vase_and_jug
    order = order_place(user=customer, shop=shop, items=[(vase.pk, 1)])  # no address: pickup

    paid = sent_by(lambda: order_mark_paid(order_id=order.pk), django_capture_on_commit_callbacks)

    assert f"Pickup: collect it at {shop.name}, {shop.address}." in (
        paid[customer.email].body.splitlines()
    )
    assert "Pickup: the buyer collects it at the shop." in paid[artisan.email].body.splitlines()
    order_transition(order_id=order.pk, status="processing", actor=artisan)
    collected = sent_by(
        lambda: order_transition(order_id=order.pk, status="delivered", actor=artisan),
        django_capture_on_commit_callbacks,
    )
    assert list(collected) == [customer.email]
    assert "You collected your order. Enjoy it!" in collected[customer.email].body.splitlines()


def test_an_inactive_member_gets_no_email(
    customer, artisan, staff, discounted_order, django_capture_on_commit_callbacks
):
    staff.is_active = False
    staff.save(update_fields=["is_active"])

    messages = sent_by(
        lambda: order_mark_paid(order_id=discounted_order.pk), django_capture_on_commit_callbacks
    )

    assert sorted(messages) == sorted([customer.email, artisan.email])
