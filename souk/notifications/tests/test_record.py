"""Writing notifications and outbox messages in the transaction of the change they report: an
order's events (the buyer and, where it concerns them, each member of the shop), low-stock
alerts (the shop's members and the platform admins), reviews (the shop's members); each
recipient on their own, over the channels they chose and can be reached by."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.catalog.models import Product, Variant
from souk.catalog.services.reviews import review_create
from souk.inventory.services.alerts import alerts_update
from souk.notifications.models import Notification, OutboxMessage
from souk.notifications.services.preferences import preferences_set
from souk.orders.models import Order
from souk.orders.services.lifecycle import (
    order_cancel,
    order_mark_paid,
    order_refund_settled,
    order_transition,
    orders_expire,
)
from souk.orders.services.placement import order_place
from souk.orders.tests.factories import ensure_address, place_order

pytestmark = pytest.mark.django_db


def inbox() -> list[tuple[int, str, dict]]:
    """(recipient, kind, data) of every notification, in the order written."""
    return [(n.recipient_id, n.kind, n.data) for n in Notification.objects.order_by("id")]


def outbox() -> list[tuple[int, str, str]]:
    """(recipient, channel, kind) of every outbox message, sorted."""
    return sorted(OutboxMessage.objects.values_list("recipient_id", "channel", "kind"))


def forget() -> None:
    Notification.objects.all().delete()
    OutboxMessage.objects.all().delete()


@pytest.fixture
def variant(product) -> Variant:
    return product.variants.get()


@pytest.fixture
def order(customer, variant, staff) -> Order:
    """A pending order of `customer` from `shop` (owner `artisan`, member `staff`), with the
    notifications of its placement cleared."""
    placed = place_order(user=customer, lines=[(variant, 1)])
    forget()
    return placed


# Orders


def test_placing_an_order_tells_the_buyer_and_each_member(customer, artisan, staff, shop, variant):
    placed = place_order(user=customer, lines=[(variant, 1)])

    data = {"order": placed.pk, "shop": shop.pk}
    assert sorted(inbox()) == sorted(
        [
            (customer.pk, "order_placed", data),
            (artisan.pk, "order_placed", data),
            (staff.pk, "order_placed", data),
        ]
    )
    titles = dict(Notification.objects.values_list("recipient_id", "title"))
    assert titles[customer.pk] == f"We received your order {placed.number}"
    assert titles[artisan.pk] == f"New order {placed.number}"
    assert outbox() == sorted(
        [
            (customer.pk, "email", "order_placed"),
            (artisan.pk, "email", "order_placed"),
            (staff.pk, "email", "order_placed"),
        ]
    )
    messages = {m.recipient_id: m.data for m in OutboxMessage.objects.all()}
    assert messages == {
        customer.pk: {"order": placed.pk, "event": "placed", "audience": "buyer"},
        artisan.pk: {"order": placed.pk, "event": "placed", "audience": "member"},
        staff.pk: {"order": placed.pk, "event": "placed", "audience": "member"},
    }


def test_a_rolled_back_placement_writes_no_notification(customer, staff, variant):
    ensure_address(customer)
    stock = Variant.objects.get(pk=variant.pk).quantity

    def boom(order: Order) -> None:
        assert Notification.objects.filter(data__order=order.pk).count() == 3
        raise RuntimeError("the request failed after placing")

    with pytest.raises(RuntimeError):
        order_place(user=customer, shop=variant.shop, items=[(variant.pk, 1)], on_placed=boom)

    assert inbox() == []
    assert outbox() == []
    assert not Order.objects.exists()
    assert Variant.objects.get(pk=variant.pk).quantity == stock


def test_a_removed_member_is_not_told(customer, artisan, removed_staff, variant):
    placed = place_order(user=customer, lines=[(variant, 1)])

    data = {"order": placed.pk, "shop": placed.shop_id}
    assert sorted(inbox()) == sorted(
        [(customer.pk, "order_placed", data), (artisan.pk, "order_placed", data)]
    )
    assert [r for r, _c, _k in outbox()] == sorted([customer.pk, artisan.pk])


def test_paid_tells_the_buyer_and_the_members(order, customer, artisan, staff):
    order_mark_paid(order_id=order.pk)

    data = {"order": order.pk, "shop": order.shop_id}
    assert sorted(inbox()) == sorted(
        [(u.pk, "order_paid", data) for u in (customer, artisan, staff)]
    )
    assert outbox() == sorted([(u.pk, "email", "order_paid") for u in (customer, artisan, staff)])


def test_shipped_and_delivered_tell_only_the_buyer(order, customer, artisan):
    order_mark_paid(order_id=order.pk)
    order_transition(order_id=order.pk, status="processing", actor=artisan)
    forget()

    order_transition(order_id=order.pk, status="shipped", actor=artisan)
    order_transition(order_id=order.pk, status="delivered", actor=artisan)

    data = {"order": order.pk, "shop": order.shop_id}
    assert inbox() == [
        (customer.pk, "order_shipped", data),
        (customer.pk, "order_delivered", data),
    ]
    assert outbox() == [
        (customer.pk, "email", "order_delivered"),
        (customer.pk, "email", "order_shipped"),
    ]


def test_processing_tells_nobody(order, artisan):
    order_mark_paid(order_id=order.pk)
    forget()

    order_transition(order_id=order.pk, status="processing", actor=artisan)

    assert inbox() == []
    assert outbox() == []


def test_cancelled_tells_the_buyer_and_the_members(order, customer, artisan, staff):
    order_cancel(order_id=order.pk, actor=customer)

    data = {"order": order.pk, "shop": order.shop_id}
    assert sorted(inbox()) == sorted(
        [(u.pk, "order_cancelled", data) for u in (customer, artisan, staff)]
    )


def test_expired_tells_only_the_buyer(order, customer):
    assert orders_expire(now=timezone.now() + timedelta(days=30)) == 1

    assert inbox() == [(customer.pk, "order_expired", {"order": order.pk, "shop": order.shop_id})]
    assert outbox() == [(customer.pk, "email", "order_expired")]


def test_a_refund_tells_the_buyer_and_the_members(order, customer, artisan, staff):
    order_cancel(order_id=order.pk, actor=customer)
    Order.objects.filter(pk=order.pk).update(payment_status=Order.PaymentStatus.REFUND_PENDING)
    forget()

    order_refund_settled(order_id=order.pk)

    data = {"order": order.pk, "shop": order.shop_id}
    assert sorted(inbox()) == sorted(
        [(u.pk, "refund_issued", data) for u in (customer, artisan, staff)]
    )
    assert outbox() == sorted(
        [(u.pk, "email", "refund_issued") for u in (customer, artisan, staff)]
    )


# Preferences and reachability


def test_email_turned_off_writes_no_email_but_the_notification(customer, artisan, variant):
    preferences_set(user=customer, changes={"order_placed": {"email": False}})

    placed = place_order(user=customer, lines=[(variant, 1)])

    data = {"order": placed.pk, "shop": placed.shop_id}
    assert sorted(inbox()) == sorted(
        [(customer.pk, "order_placed", data), (artisan.pk, "order_placed", data)]
    )
    assert outbox() == [(artisan.pk, "email", "order_placed")]


def test_sms_only_when_chosen_and_the_user_has_a_phone(customer, artisan, staff, variant):
    User.objects.filter(pk=customer.pk).update(phone="+212600000001")
    User.objects.filter(pk=artisan.pk).update(phone="+212600000002")
    for user in (customer, staff):  # staff chose SMS but has no phone
        preferences_set(user=user, changes={"order_placed": {"sms": True}})

    place_order(user=customer, lines=[(variant, 1)])

    assert outbox() == sorted(
        [
            (customer.pk, "email", "order_placed"),
            (customer.pk, "sms", "order_placed"),
            (artisan.pk, "email", "order_placed"),
            (staff.pk, "email", "order_placed"),
        ]
    )


def test_an_inactive_user_gets_nothing(customer, artisan, staff, variant):
    User.objects.filter(pk=staff.pk).update(is_active=False)

    placed = place_order(user=customer, lines=[(variant, 1)])

    assert staff.pk not in {r for r, _k, _d in inbox()}
    assert staff.pk not in {r for r, _c, _k in outbox()}
    assert len(inbox()) == 2
    assert Notification.objects.filter(data__order=placed.pk).count() == 2


def test_each_message_has_one_recipient_of_its_own(customer, artisan, staff, variant):
    place_order(user=customer, lines=[(variant, 1)])

    placed = Order.objects.get()

    messages = list(OutboxMessage.objects.values_list("recipient_id", "channel", "key"))
    assert sorted((r, c) for r, c, _k in messages) == sorted(
        [(customer.pk, "email"), (artisan.pk, "email"), (staff.pk, "email")]
    )
    assert len({k for _r, _c, k in messages}) == 3
    # A message names its order and audience and no person (no user id, no address): whom it
    # goes to is its recipient alone; the rest is read from the order when it is sent.
    for message in OutboxMessage.objects.all():
        audience = "buyer" if message.recipient_id == customer.pk else "member"
        assert message.data == {"order": placed.pk, "event": "placed", "audience": audience}


# Low stock


@pytest.fixture
def low_stock(product_factory, shop, category):
    """Two variants of `shop`, fallen to 2 and 1 (the threshold is 3)."""
    first = product_factory(shop=shop, category=category, name="Blue bowl", quantity=2)
    second = product_factory(shop=shop, category=category, name="Red jug", quantity=1)
    return [first.variants.get(), second.variants.get()]


def test_low_stock_tells_the_members_and_the_admins_once_per_shop(
    low_stock, shop, artisan, staff, admin_user, customer
):
    raised = alerts_update(variants=low_stock)

    assert len(raised) == 2
    data = {"shop": shop.pk}
    assert sorted(inbox()) == sorted(
        [(u.pk, "low_stock", data) for u in (artisan, staff, admin_user)]
    )
    note = Notification.objects.get(recipient=artisan)
    assert note.title == f"Low stock in {shop.name}"
    assert note.body == "\n".join(
        [
            f"Blue bowl (SKU {low_stock[0].sku}): 2 left",
            f"Red jug (SKU {low_stock[1].sku}): 1 left",
        ]
    )
    assert outbox() == sorted([(u.pk, "email", "low_stock") for u in (artisan, staff, admin_user)])
    assert {tuple(m.data["alerts"]) for m in OutboxMessage.objects.all()} == {tuple(raised)}


def test_one_low_variant_names_its_product_and_variant(low_stock, shop, artisan):
    alerts_update(variants=low_stock[:1])

    assert Notification.objects.get(recipient=artisan).data == {
        "shop": shop.pk,
        "product": low_stock[0].product_id,
        "variant": low_stock[0].pk,
    }


def test_low_stock_of_two_shops_goes_to_each_shops_members(
    low_stock, shop, artisan, other_artisan, product_factory, category, admin_user
):
    other_shop = other_artisan.shop_memberships.get().shop
    theirs = product_factory(shop=other_shop, category=category, name="Cup", quantity=0)

    alerts_update(variants=[*low_stock, theirs.variants.get()])

    def key(row):
        return (row[0], row[1], sorted(row[2].items()))

    theirs_data = {"shop": other_shop.pk, "product": theirs.pk, "variant": theirs.variants.get().pk}
    assert sorted(inbox(), key=key) == sorted(
        [
            (artisan.pk, "low_stock", {"shop": shop.pk}),
            (admin_user.pk, "low_stock", {"shop": shop.pk}),
            (other_artisan.pk, "low_stock", theirs_data),
            (admin_user.pk, "low_stock", theirs_data),
        ],
        key=key,
    )


def test_low_stock_in_app_off_still_emails(low_stock, artisan, shop):
    preferences_set(user=artisan, changes={"low_stock": {"in_app": False}})

    alerts_update(variants=low_stock)

    assert inbox() == []
    assert outbox() == [(artisan.pk, "email", "low_stock")]


# Reviews


def test_a_review_tells_the_shops_members(order, customer, artisan, staff, product, shop):
    order_mark_paid(order_id=order.pk)
    for step in ("processing", "shipped", "delivered"):
        order_transition(order_id=order.pk, status=step, actor=artisan)
    forget()

    review_create(
        customer=customer, product=Product.objects.get(pk=product.pk), rating=4, title="Nice"
    )

    data = {"shop": shop.pk, "product": product.pk}
    assert sorted(inbox()) == sorted(
        [(artisan.pk, "review_received", data), (staff.pk, "review_received", data)]
    )
    assert Notification.objects.filter(recipient=artisan).get().title == (
        f"New 4-star review of {product.name}"
    )
    assert outbox() == sorted([(u.pk, "email", "review_received") for u in (artisan, staff)])


def test_notifications_commit_with_the_change(order, customer, artisan, staff):
    written = []

    def pay_then_fail() -> None:
        with transaction.atomic():
            order_mark_paid(order_id=order.pk)
            written.extend(inbox())
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        pay_then_fail()

    assert len(written) == 3

    assert inbox() == []
    assert outbox() == []
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
