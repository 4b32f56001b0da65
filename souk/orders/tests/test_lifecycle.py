"""An order's life after placement over HTTP: status moves, cancelling, expiry, delivery
schedules, soft delete, e-mails from the outbox after commit, the admin's mark-paid action,
and order lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from souk.catalog.models import Variant
from souk.core.testing import assert_problem
from souk.inventory.models import StockMovement
from souk.inventory.tests.factories import ledger_mismatches
from souk.notifications.models import OutboxMessage
from souk.notifications.tasks import outbox_dispatch_task
from souk.orders.models import CouponRedemption, DeliverySchedule, Order
from souk.orders.services import refunds
from souk.orders.services.cart import cart_item_add
from souk.orders.services.lifecycle import order_cancel, order_mark_paid, order_transition
from souk.orders.services.placement import checkout_place
from souk.orders.tasks import orders_expire_task
from souk.orders.tests.factories import ensure_address, make_coupon, place_order
from souk.shops.models import Shop

ORDERS = "/api/orders/"
pytestmark = pytest.mark.django_db


def url(order, action=""):
    return f"{ORDERS}{order.pk}/{action + '/' if action else ''}"


def quantity(variant):
    return Variant.all_objects.get(pk=variant.pk).quantity


def movements(order, reason):
    return sorted(
        StockMovement.objects.filter(reason=reason, reference=f"order:{order.number}").values_list(
            "variant_id", "delta"
        )
    )


def status_of(order):
    return Order.all_objects.get(pk=order.pk).status


@pytest.fixture
def mug(product):
    """20.00, 5 in stock, in `shop`."""
    return product.variants.get()


@pytest.fixture
def placed(customer, mug):
    """A pending order of 2 mugs by `customer` (3 left in stock)."""
    return place_order(user=customer, lines=[(mug, 2)])


@pytest.fixture
def paid(placed):
    assert order_mark_paid(order_id=placed.pk)
    placed.refresh_from_db()
    return placed


def advance(order, *statuses, actor):
    for status in statuses:
        order_transition(order_id=order.pk, status=status, actor=actor)
    order.refresh_from_db()
    return order


@pytest.fixture
def buyer(client_for, customer):
    return client_for(customer)


@pytest.fixture
def member(client_for, staff):
    return client_for(staff)


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def refund_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(refunds, "refund_requested", lambda *, order: calls.append(order.pk))
    return calls


# --- Status ---------------------------------------------------------------------------------


def test_member_moves_a_paid_order_through_to_delivered(member, paid):
    for status, delivery_state in [
        ("processing", "scheduled"),
        ("shipped", "in_transit"),
        ("delivered", "delivered"),
    ]:
        response = member.post(url(paid, "status"), {"status": status})

        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
        assert response.json()["delivery"]["status"] == delivery_state
        assert status_of(paid) == status
    assert list(paid.events.values_list("event", flat=True)) == [
        "placed",
        "paid",
        "processing",
        "shipped",
        "delivered",
    ]


def test_owner_and_admin_move_status_too(client_for, artisan, admin, paid):
    assert (
        client_for(artisan).post(url(paid, "status"), {"status": "processing"}).status_code == 200
    )
    assert admin.post(url(paid, "status"), {"status": "shipped"}).status_code == 200
    assert status_of(paid) == "shipped"


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), "paid"),
        ((), "processing"),
        ((), "delivered"),
        (("paid",), "shipped"),
        (("paid",), "delivered"),
        (("paid",), "paid"),
        (("paid",), "pending_payment"),
        (("paid",), "cancelled"),
        (("paid",), "expired"),
        (("paid", "processing"), "paid"),
        (("paid", "processing"), "delivered"),
        (("paid", "processing", "shipped"), "processing"),
        (("paid", "processing", "shipped", "delivered"), "shipped"),
        (("paid", "processing", "shipped", "delivered"), "cancelled"),
        (("cancelled",), "paid"),
        (("cancelled",), "processing"),
    ],
    ids=lambda value: "-".join(("pending", *value)) if isinstance(value, tuple) else value,
)
def test_any_other_move_is_409_invalid_transition(member, artisan, placed, mug, path, target):
    for step in path:
        if step == "paid":
            order_mark_paid(order_id=placed.pk)
        elif step == "cancelled":
            order_cancel(order_id=placed.pk, actor=artisan)
        else:
            order_transition(order_id=placed.pk, status=step, actor=artisan)
    before = (status_of(placed), quantity(mug), StockMovement.objects.count())

    assert_problem(
        member.post(url(placed, "status"), {"status": target}), 409, "invalid_transition"
    )

    assert (status_of(placed), quantity(mug), StockMovement.objects.count()) == before


@pytest.mark.parametrize("body", [{}, {"status": "flying"}, {"status": None}])
def test_bad_status_value_is_400(member, paid, body):
    assert_problem(member.post(url(paid, "status"), body), 400, "validation_error")
    assert status_of(paid) == "paid"


def test_buyer_cannot_change_status(buyer, paid):
    assert_problem(
        buyer.post(url(paid, "status"), {"status": "processing"}), 403, "permission_denied"
    )
    assert status_of(paid) == "paid"


# --- Cancelling -----------------------------------------------------------------------------


def test_buyer_cancels_an_unpaid_order_and_the_stock_goes_back(buyer, placed, mug, refund_calls):
    response = buyer.post(url(placed, "cancel"))

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["payment_status"]) == ("cancelled", "unpaid")
    assert body["cancelled_at"] is not None
    assert body["delivery"]["status"] == "cancelled"
    assert quantity(mug) == 5
    assert movements(placed, "cancel") == [(mug.pk, 2)]
    assert ledger_mismatches() == []
    assert refund_calls == []


def test_buyer_cancels_a_paid_order_before_shipping_and_it_is_refunded(
    buyer, paid, mug, refund_calls
):
    response = buyer.post(url(paid, "cancel"))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["payment_status"]) == (
        "cancelled",
        "refund_pending",
    )
    assert quantity(mug) == 5
    assert refund_calls == [paid.pk]


@pytest.mark.parametrize("path", [("processing",), ("processing", "shipped")])
def test_buyer_cancels_while_processing_but_not_after_shipping(
    buyer, artisan, paid, mug, refund_calls, path
):
    advance(paid, *path, actor=artisan)

    response = buyer.post(url(paid, "cancel"))

    if path[-1] == "shipped":
        assert_problem(response, 409, "invalid_transition")
        assert (status_of(paid), quantity(mug)) == ("shipped", 3)
        assert movements(paid, "cancel") == []
        assert refund_calls == []
    else:
        assert response.status_code == 200
        assert (status_of(paid), quantity(mug)) == ("cancelled", 5)
        assert refund_calls == [paid.pk]


def test_nobody_cancels_a_delivered_order(member, admin, artisan, paid, mug):
    advance(paid, "processing", "shipped", "delivered", actor=artisan)

    assert_problem(member.post(url(paid, "cancel")), 409, "invalid_transition")
    assert_problem(admin.post(url(paid, "cancel")), 409, "invalid_transition")
    assert (status_of(paid), quantity(mug)) == ("delivered", 3)


@pytest.mark.parametrize("who", ["member", "admin"])
def test_member_and_admin_cancel_a_paid_order(request, paid, mug, refund_calls, who):
    client = request.getfixturevalue(who)

    response = client.post(url(paid, "cancel"))

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert quantity(mug) == 5
    assert movements(paid, "cancel") == [(mug.pk, 2)]
    assert refund_calls == [paid.pk]
    assert Order.all_objects.get(pk=paid.pk).payment_status == "refund_pending"


def test_cancelling_twice_is_409_and_returns_the_stock_once(buyer, member, placed, mug):
    assert buyer.post(url(placed, "cancel")).status_code == 200

    assert_problem(buyer.post(url(placed, "cancel")), 409, "invalid_transition")
    assert_problem(member.post(url(placed, "cancel")), 409, "invalid_transition")

    assert quantity(mug) == 5
    assert movements(placed, "cancel") == [(mug.pk, 2)]
    assert ledger_mismatches() == []


def test_another_customer_cannot_cancel(client_for, other_customer, placed, mug):
    assert_problem(client_for(other_customer).post(url(placed, "cancel")), 404, "not_found")
    assert (status_of(placed), quantity(mug)) == ("pending_payment", 3)


def test_cancelling_gives_a_direct_orders_coupon_use_back(buyer, customer, mug):
    coupon = make_coupon(code="TENOFF", max_uses=1)
    order = place_order(user=customer, lines=[(mug, 1)], coupon_code="TENOFF")
    coupon.refresh_from_db()
    assert coupon.uses == 1

    assert buyer.post(url(order, "cancel")).status_code == 200

    coupon.refresh_from_db()
    assert coupon.uses == 0
    assert CouponRedemption.objects.get().released_at is not None
    # Usable again.
    assert place_order(user=customer, lines=[(mug, 1)], coupon_code="TENOFF").discount > 0


def _checkout(customer, lines, code):
    ensure_address(customer)
    for variant, count in lines:
        cart_item_add(user=customer, variant=variant, quantity=count)
    checkout = checkout_place(user=customer, coupon_code=code)
    return list(Order.objects.filter(checkout=checkout).order_by("shop_id"))


@pytest.fixture
def bowl(product_factory, other_artisan, category):
    product = product_factory(
        shop=Shop.objects.get(owner=other_artisan), category=category, name="Bowl", price="10.00"
    )
    return product.variants.get()


def test_a_checkouts_platform_coupon_comes_back_when_its_last_order_closes(
    buyer, customer, mug, bowl
):
    coupon = make_coupon(code="TENOFF")
    first, second = _checkout(customer, [(mug, 1), (bowl, 1)], "TENOFF")
    assert first.discount > 0
    assert second.discount > 0

    assert buyer.post(url(first, "cancel")).status_code == 200
    coupon.refresh_from_db()
    assert coupon.uses == 1  # the other order still stands on it

    assert buyer.post(url(second, "cancel")).status_code == 200
    coupon.refresh_from_db()
    assert coupon.uses == 0


@pytest.mark.parametrize("first_cancelled", ["couponed", "plain"])
def test_a_shop_coupon_in_a_checkout_comes_back_whichever_order_closes_first(
    buyer, customer, shop, mug, bowl, first_cancelled
):
    coupon = make_coupon(code="MUGS", shop=shop, max_uses_per_customer=1)
    orders = {order.shop_id: order for order in _checkout(customer, [(mug, 1), (bowl, 1)], "MUGS")}
    couponed = orders.pop(shop.pk)
    [plain] = orders.values()
    assert (couponed.coupon_id, plain.coupon_id) == (coupon.pk, None)
    order_sequence = [couponed, plain] if first_cancelled == "couponed" else [plain, couponed]

    for order in order_sequence:
        assert buyer.post(url(order, "cancel")).status_code == 200

    coupon.refresh_from_db()
    assert coupon.uses == 0
    assert CouponRedemption.objects.get().released_at is not None


# --- Expiry ---------------------------------------------------------------------------------


def test_unpaid_orders_expire_after_the_timeout_and_give_their_stock_back(
    settings, customer, artisan, mug
):
    assert settings.ORDER_PAYMENT_TIMEOUT_MINUTES == 30
    due = place_order(user=customer, lines=[(mug, 2)])
    settled = place_order(user=customer, lines=[(mug, 1)])
    order_mark_paid(order_id=settled.pk)
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        later = place_order(user=customer, lines=[(mug, 1)])
    assert quantity(mug) == 1

    with time_machine.travel(due.expires_at + timedelta(seconds=1), tick=False):
        assert orders_expire_task.apply().get() == 1
        assert orders_expire_task.apply().get() == 0

    assert [status_of(o) for o in (due, settled, later)] == ["expired", "paid", "pending_payment"]
    assert quantity(mug) == 3
    assert movements(due, "expiry") == [(mug.pk, 2)]
    assert ledger_mismatches() == []
    expired = Order.all_objects.get(pk=due.pk)
    assert expired.cancelled_at is not None
    assert DeliverySchedule.objects.get(order=due).status == "cancelled"


def test_nothing_expires_before_the_timeout(customer, placed, mug):
    with time_machine.travel(placed.expires_at - timedelta(seconds=1), tick=False):
        assert orders_expire_task.apply().get() == 0

    assert (status_of(placed), quantity(mug)) == ("pending_payment", 3)


def test_expiry_gives_the_coupon_use_back(customer, mug):
    coupon = make_coupon(code="ONCE", max_uses=1)
    order = place_order(user=customer, lines=[(mug, 1)], coupon_code="ONCE")

    with time_machine.travel(order.expires_at + timedelta(minutes=1), tick=False):
        orders_expire_task.apply().get()

    coupon.refresh_from_db()
    assert (status_of(order), coupon.uses) == ("expired", 0)


def test_expired_orders_cannot_be_cancelled_or_paid(buyer, placed, mug):
    with time_machine.travel(placed.expires_at + timedelta(minutes=1), tick=False):
        orders_expire_task.apply().get()

    assert_problem(buyer.post(url(placed, "cancel")), 409, "invalid_transition")
    assert order_mark_paid(order_id=placed.pk) is False
    assert (status_of(placed), quantity(mug)) == ("expired", 5)
    assert movements(placed, "expiry") == [(mug.pk, 2)]
    assert movements(placed, "cancel") == []


# --- Delivery -------------------------------------------------------------------------------


def window(start_hours, end_hours):
    now = timezone.now()
    return {
        "window_start": (now + timedelta(hours=start_hours)).isoformat(),
        "window_end": (now + timedelta(hours=end_hours)).isoformat(),
    }


def test_delivery_is_readable_by_buyer_member_and_admin(buyer, member, admin, placed):
    for client in (buyer, member, admin):
        response = client.get(url(placed, "delivery"))
        assert response.status_code == 200
        assert {key: response.json()[key] for key in ("method", "status", "carrier")} == {
            "method": "delivery",
            "status": "scheduled",
            "carrier": "",
        }


def test_delivery_is_404_to_strangers(client_for, other_customer, other_artisan, placed):
    for user in (other_customer, other_artisan):
        assert_problem(client_for(user).get(url(placed, "delivery")), 404, "not_found")


def test_buyer_sets_method_and_window_before_shipping(buyer, paid):
    wanted = window(24, 26)

    response = buyer.put(url(paid, "delivery"), {"method": "pickup", "notes": "Gate B", **wanted})

    assert response.status_code == 200
    body = response.json()
    assert (body["method"], body["notes"]) == ("pickup", "Gate B")
    assert parse_datetime(body["window_start"]) == parse_datetime(wanted["window_start"])
    schedule = DeliverySchedule.objects.get(order=paid)
    assert (schedule.method, schedule.window_end) == (
        "pickup",
        parse_datetime(wanted["window_end"]),
    )


def test_buyer_may_put_back_what_was_read(buyer, placed):
    body = buyer.get(url(placed, "delivery")).json()
    body.update(window(5, 6))

    response = buyer.put(url(placed, "delivery"), body)

    assert response.status_code == 200
    assert response.json()["window_start"] is not None


def test_members_set_carrier_and_tracking(member, artisan, paid):
    advance(paid, "processing", "shipped", actor=artisan)

    response = member.put(url(paid, "delivery"), {"carrier": "Amana", "tracking_number": "AM123"})

    assert response.status_code == 200
    assert (response.json()["carrier"], response.json()["tracking_number"]) == ("Amana", "AM123")
    assert response.json()["status"] == "in_transit"


@pytest.mark.parametrize(
    ("who", "payload"),
    [
        ("buyer", {"carrier": "Amana"}),
        ("buyer", {"tracking_number": "X1"}),
        ("member", {"method": "pickup"}),
        ("member", "window"),
    ],
)
def test_changing_the_other_sides_field_is_403(request, paid, who, payload):
    client = request.getfixturevalue(who)
    body = window(24, 26) if payload == "window" else payload
    before = DeliverySchedule.objects.values().get(order=paid)

    assert_problem(client.put(url(paid, "delivery"), body), 403, "permission_denied")

    assert DeliverySchedule.objects.values().get(order=paid) == before


def test_admin_who_is_not_a_member_cannot_edit_delivery(admin, paid):
    before = DeliverySchedule.objects.values().get(order=paid)

    assert_problem(admin.put(url(paid, "delivery"), {"carrier": "X"}), 403, "permission_denied")

    assert DeliverySchedule.objects.values().get(order=paid) == before


def test_after_shipping_the_buyer_cannot_move_the_window(buyer, artisan, paid):
    advance(paid, "processing", "shipped", actor=artisan)

    assert_problem(buyer.put(url(paid, "delivery"), window(24, 26)), 409, "invalid_transition")
    assert DeliverySchedule.objects.get(order=paid).window_start is None


def test_delivery_of_a_cancelled_order_cannot_change(buyer, placed):
    buyer.post(url(placed, "cancel"))

    assert_problem(buyer.put(url(placed, "delivery"), window(24, 26)), 409, "invalid_transition")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(window(26, 24), id="ends-before-start"),
        pytest.param(window(-3, 2), id="starts-in-the-past"),
        pytest.param({"method": "drone"}, id="unknown-method"),
        pytest.param({"window_start": "soon"}, id="not-a-date"),
    ],
)
def test_bad_delivery_windows_are_400(buyer, paid, payload):
    before = DeliverySchedule.objects.values().get(order=paid)

    assert_problem(buyer.put(url(paid, "delivery"), payload), 400, "validation_error")

    assert DeliverySchedule.objects.values().get(order=paid) == before


# --- Soft delete ----------------------------------------------------------------------------


def test_admin_soft_deletes_an_order(admin, buyer, member, placed, mug):
    response = admin.delete(url(placed))

    assert response.status_code == 204
    assert Order.all_objects.get(pk=placed.pk).deleted_at is not None
    assert not Order.objects.filter(pk=placed.pk).exists()
    for client in (admin, buyer, member):
        assert_problem(client.get(url(placed)), 404, "not_found")
        assert client.get(ORDERS).json()["count"] == 0
    assert quantity(mug) == 3  # deleting is not cancelling
    assert_problem(admin.delete(url(placed)), 404, "not_found")


@pytest.mark.parametrize(("who", "status"), [("buyer", 403), ("member", 403)])
def test_non_admins_cannot_delete(request, placed, who, status):
    client = request.getfixturevalue(who)

    assert_problem(client.delete(url(placed)), status, "permission_denied")

    assert Order.objects.filter(pk=placed.pk).exists()


def test_strangers_get_404_on_delete(client_for, other_customer, placed):
    assert_problem(client_for(other_customer).delete(url(placed)), 404, "not_found")
    assert Order.objects.filter(pk=placed.pk).exists()


# --- E-mails after commit -------------------------------------------------------------------


def deliver_earlier():
    """Send what the set-up left in the outbox (its commit never ran, so no dispatcher was
    kicked), and forget it: the next kick would deliver it along with the step under test."""
    outbox_dispatch_task.apply().get()
    mail.outbox.clear()


def test_a_new_order_emails_the_buyer_and_each_shop_member_after_commit(
    buyer, customer, artisan, staff, shop, mug, django_capture_on_commit_callbacks
):
    ensure_address(customer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = buyer.post(
            ORDERS, {"shop": shop.pk, "items": [{"variant": mug.pk, "quantity": 1}]}
        )
    assert response.status_code == 201
    assert mail.outbox == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()

    number = response.json()["number"]
    assert sorted((m.subject, tuple(m.to)) for m in mail.outbox) == sorted(
        [
            (f"New order {number}", (artisan.email,)),
            (f"New order {number}", (staff.email,)),
            (f"We received your order {number}", (customer.email,)),
        ]
    )
    assert all(mug.sku in message.body for message in mail.outbox)

    # Running the dispatcher again sends nothing more: each message was marked sent once.
    assert outbox_dispatch_task.apply().get() == {"sent": 0, "retried": 0, "dead": 0, "skipped": 0}
    assert len(mail.outbox) == 3
    assert sorted(OutboxMessage.objects.values_list("recipient__email", "status", "attempts")) == (
        sorted((email, "sent", 1) for email in (artisan.email, staff.email, customer.email))
    )


def test_a_refused_order_sends_nothing(
    buyer, customer, shop, mug, django_capture_on_commit_callbacks
):
    ensure_address(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer.post(
            ORDERS, {"shop": shop.pk, "items": [{"variant": mug.pk, "quantity": 9}]}
        )

    assert response.status_code == 409
    assert mail.outbox == []


def test_paid_shipped_and_cancelled_emails(
    customer, artisan, staff, member, buyer, mug, django_capture_on_commit_callbacks
):
    def sent(action):
        deliver_earlier()
        with django_capture_on_commit_callbacks(execute=True):
            action()
        return sorted((m.subject, tuple(m.to)) for m in mail.outbox)

    everyone = sorted([customer.email, artisan.email, staff.email])
    shipped = place_order(user=customer, lines=[(mug, 1)])
    cancelled = place_order(user=customer, lines=[(mug, 1)])

    assert sent(lambda: order_mark_paid(order_id=shipped.pk)) == [
        (f"Order {shipped.number} is paid", (email,)) for email in everyone
    ]
    assert sent(lambda: member.post(url(shipped, "status"), {"status": "processing"})) == []
    assert sent(lambda: member.post(url(shipped, "status"), {"status": "shipped"})) == [
        (f"Order {shipped.number} is on its way", (customer.email,))
    ]
    assert sent(lambda: buyer.post(url(cancelled, "cancel"))) == [
        (f"Order {cancelled.number} was cancelled", (email,)) for email in everyone
    ]


def test_expiry_emails_the_buyer(customer, placed, django_capture_on_commit_callbacks):
    deliver_earlier()
    with (
        time_machine.travel(placed.expires_at + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        orders_expire_task.apply().get()

    assert [(m.subject, m.to) for m in mail.outbox] == [
        (f"Order {placed.number} expired unpaid", [customer.email])
    ]


# --- Admin action ---------------------------------------------------------------------------


def test_admin_action_marks_unpaid_orders_paid(admin_user, customer, artisan, mug):
    unpaid = place_order(user=customer, lines=[(mug, 1)])
    cancelled = place_order(user=customer, lines=[(mug, 1)])
    order_cancel(order_id=cancelled.pk, actor=artisan)
    client = Client()
    client.force_login(admin_user)

    response = client.post(
        "/admin/orders/order/",
        {"action": "mark_paid", "_selected_action": [unpaid.pk, cancelled.pk]},
    )

    assert response.status_code == 302
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.payment_status) == ("paid", "paid")
    assert unpaid.paid_at is not None
    assert abs(unpaid.paid_at - timezone.now()) < timedelta(minutes=1)
    assert status_of(cancelled) == "cancelled"
    assert Order.all_objects.get(pk=cancelled.pk).paid_at is None


# --- Order lists ----------------------------------------------------------------------------


@pytest.fixture
def history(customer, other_customer, mug, bowl, artisan):
    """Orders placed on three days: the customer's (two shops) and another customer's."""
    orders = {}
    for name, user, variant, day in [
        ("jan1", customer, mug, 1),
        ("jan2", customer, bowl, 2),
        ("jan3", customer, mug, 3),
        ("theirs", other_customer, mug, 2),
    ]:
        with time_machine.travel(datetime(2030, 1, day, 12, tzinfo=UTC), tick=False):
            orders[name] = place_order(user=user, lines=[(variant, 1)])
    order_mark_paid(order_id=orders["jan3"].pk)
    return orders


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_customers_list_only_their_own_orders_newest_first(buyer, history):
    assert ids(buyer.get(ORDERS)) == [history[n].pk for n in ("jan3", "jan2", "jan1")]


def test_admin_lists_every_order(admin, history):
    assert sorted(ids(admin.get(ORDERS))) == sorted(order.pk for order in history.values())


def test_order_list_filters(buyer, history):
    assert ids(buyer.get(ORDERS, {"status": "paid"})) == [history["jan3"].pk]
    assert ids(buyer.get(ORDERS, {"status": "pending_payment"})) == [
        history["jan2"].pk,
        history["jan1"].pk,
    ]
    assert ids(buyer.get(ORDERS, {"created_after": "2030-01-02T00:00:00Z"})) == [
        history["jan3"].pk,
        history["jan2"].pk,
    ]
    assert ids(buyer.get(ORDERS, {"created_before": "2030-01-02T00:00:00Z"})) == [
        history["jan1"].pk
    ]
    assert ids(
        buyer.get(
            ORDERS,
            {
                "created_after": "2030-01-02",
                "created_before": "2030-01-03",
                "status": "pending_payment",
            },
        )
    ) == [history["jan2"].pk]


@pytest.mark.parametrize(
    "query",
    [
        {"created_after": "yesterday"},
        {"created_before": "2030-13-01"},
        {"status": "lost"},
        {"shop": "mine"},
    ],
)
def test_bad_list_filters_are_400(buyer, history, query):
    body = assert_problem(buyer.get(ORDERS, query), 400, "validation_error")
    assert set(body["errors"]) == set(query)


def test_members_list_their_shops_orders(member, shop, history):
    expected = [history[n].pk for n in ("jan3", "theirs", "jan1")]

    assert ids(member.get(ORDERS, {"shop": shop.pk})) == expected
    assert ids(member.get(f"/api/shops/{shop.pk}/orders/")) == expected
    assert ids(member.get(f"/api/shops/{shop.pk}/orders/", {"status": "paid"})) == [
        history["jan3"].pk
    ]
    assert ids(member.get(ORDERS)) == []  # their own purchases: none


@pytest.mark.parametrize("query", [{}, {"status": "paid"}, {"created_after": "2030-01-02"}])
def test_admins_list_a_shops_orders_on_both_routes(admin, shop, history, query):
    expected = ids(admin.get(ORDERS, {"shop": shop.pk, **query}))

    assert ids(admin.get(f"/api/shops/{shop.pk}/orders/", query)) == expected
    assert expected == [
        order.pk
        for order in sorted(history.values(), key=lambda o: (o.created_at, o.pk), reverse=True)
        if order.shop_id == shop.pk
        and (not query.get("status") or order.pk == history["jan3"].pk)
        and (not query.get("created_after") or order.created_at.day >= 2)
    ]


def test_a_deleted_shops_orders_are_404_for_admins(admin, shop, history):
    Shop.objects.filter(pk=shop.pk).update(deleted_at=timezone.now())

    assert_problem(admin.get(f"/api/shops/{shop.pk}/orders/"), 404, "not_found")


def test_shop_order_lists_refuse_non_members(client_for, buyer, other_artisan, shop, history):
    assert_problem(buyer.get(ORDERS, {"shop": shop.pk}), 403, "permission_denied")
    stranger = client_for(other_artisan)
    assert_problem(stranger.get(ORDERS, {"shop": shop.pk}), 403, "permission_denied")
    assert_problem(stranger.get(f"/api/shops/{shop.pk}/orders/"), 403, "permission_denied")
    assert_problem(buyer.get(ORDERS, {"shop": 99999999}), 404, "not_found")


def test_order_detail_is_visible_to_buyer_members_and_admin_only(
    buyer, member, admin, client_for, other_customer, other_artisan, history
):
    order = history["jan1"]
    for client in (buyer, member, admin):
        assert client.get(url(order)).json()["number"] == order.number
    for user in (other_customer, other_artisan):
        assert_problem(client_for(user).get(url(order)), 404, "not_found")
