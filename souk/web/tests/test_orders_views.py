"""The order and payment pages (Django's test client): my orders, an order with its
timeline, cancelling, and paying through the sandbox gateway and back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from souk.catalog.models import Variant
from souk.orders.models import Order
from souk.orders.services.cart import cart_item_add
from souk.orders.services.lifecycle import order_transition
from souk.orders.services.placement import DeliveryRequest, checkout_place
from souk.orders.tests.factories import ensure_address, place_order
from souk.payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(product_factory, shop, category) -> Variant:
    return product_factory(
        shop=shop, category=category, name="Mug", price="20.00", quantity=5
    ).variants.get()


@pytest.fixture
def order(customer, mug) -> Order:
    return place_order(user=customer, lines=[(mug, 2)])


def _stock(variant: Variant) -> int:
    return Variant.objects.get(pk=variant.pk).quantity


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "shop:orders", []),
        ("get", "shop:order", [1]),
        ("post", "shop:order-cancel", [1]),
        ("get", "shop:pay", []),
        ("get", "shop:payment-return", []),
    ],
    ids=["orders", "order", "order-cancel", "pay", "payment-return"],
)
def test_anonymous_is_sent_to_log_in(client, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_no_orders_shows_the_empty_state(signed_in):
    response = signed_in.get(reverse("shop:orders"))

    assert response.status_code == 200
    assert "No orders yet" in response.content.decode()


def test_my_orders_lists_mine_only(signed_in, order, other_customer, mug):
    theirs = place_order(user=other_customer, lines=[(mug, 1)])

    body = signed_in.get(reverse("shop:orders")).content.decode()

    assert order.number in body
    assert theirs.number not in body


def test_my_orders_query_count_holds_as_the_list_grows(
    signed_in, customer, mug, django_assert_max_num_queries
):
    for _ in range(3):
        place_order(user=customer, lines=[(mug, 1)])
    with django_assert_max_num_queries(12) as few:
        signed_in.get(reverse("shop:orders"))
    place_order(user=customer, lines=[(mug, 1)])
    place_order(user=customer, lines=[(mug, 1)])

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = signed_in.get(reverse("shop:orders"))
    assert response.status_code == 200


def test_order_page_shows_lines_delivery_and_timeline(signed_in, order):
    body = signed_in.get(reverse("shop:order", args=[order.pk])).content.decode()

    assert "Mug" in body
    assert "1 Market Street" in body
    assert "Order placed" in body
    assert "Pay now" in body
    assert body.index("Order placed") < body.index("Payment received")


def test_another_customers_order_is_not_found(signed_in, other_customer, mug):
    theirs = place_order(user=other_customer, lines=[(mug, 1)])

    assert signed_in.get(reverse("shop:order", args=[theirs.pk])).status_code == 404
    cancel = signed_in.post(reverse("shop:order-cancel", args=[theirs.pk]), {"confirm": "yes"})
    assert cancel.status_code == 404
    assert Order.objects.get(pk=theirs.pk).status == Order.Status.PENDING_PAYMENT
    assert signed_in.get(f"{reverse('shop:pay')}?order={theirs.pk}").status_code == 404


def test_cancel_asks_first(signed_in, order, mug):
    response = signed_in.post(reverse("shop:order-cancel", args=[order.pk]))

    assert response.status_code == 200
    assert "Yes, cancel the order" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
    assert _stock(mug) == 3


def test_cancel_confirmed_gives_the_stock_back(signed_in, order, mug):
    response = signed_in.post(
        reverse("shop:order-cancel", args=[order.pk]), {"confirm": "yes"}, follow=True
    )

    body = response.content.decode()
    assert f"Order {order.number} was cancelled." in body
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert _stock(mug) == 5
    assert "Cancel this order" not in body


def test_cancel_not_allowed_shows_a_message_and_changes_nothing(signed_in, order, mug, artisan):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    order_transition(order_id=order.pk, status="processing", actor=artisan)
    order_transition(order_id=order.pk, status="shipped", actor=artisan)

    response = signed_in.post(
        reverse("shop:order-cancel", args=[order.pk]), {"confirm": "yes"}, follow=True
    )

    assert "An order that is shipped cannot be cancelled." in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert _stock(mug) == 3


def test_cancel_without_the_csrf_token_is_refused(customer, order):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)

    response = client.post(reverse("shop:order-cancel", args=[order.pk]), {"confirm": "yes"})

    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT


def test_pay_page_shows_what_is_due(signed_in, order):
    response = signed_in.get(f"{reverse('shop:pay')}?order={order.pk}")

    assert response.status_code == 200
    assert "40.00 USD" in response.content.decode()


@pytest.mark.parametrize(
    "query", ["", "?order=abc", "?checkout=99999999"], ids=["none", "junk", "unknown"]
)
def test_pay_without_a_payable_target_is_not_found(signed_in, query):
    assert signed_in.get(f"{reverse('shop:pay')}{query}").status_code == 404


def _checkout(customer, variants: list[tuple[Variant, int]]) -> int:
    ensure_address(customer)
    for variant, quantity in variants:
        cart_item_add(user=customer, variant=variant, quantity=quantity)
    return checkout_place(user=customer, delivery=DeliveryRequest()).pk


def _sandbox_round_trip(client: Client, checkout_id: int, result: str) -> Any:
    started = client.post(reverse("shop:pay"), {"checkout": checkout_id, "gateway": "sandbox"})
    assert started.status_code == 302
    sandbox = urlsplit(started["Location"]).path
    assert sandbox.startswith("/api/payments/sandbox/")
    back = client.post(sandbox, {"result": result})
    assert back.status_code == 303
    location = urlsplit(back["Location"])
    assert location.path == reverse("shop:payment-return")
    return client.get(f"{location.path}?{location.query}")


def test_paying_on_the_sandbox_comes_back_paid(
    signed_in, customer, mug, django_capture_on_commit_callbacks
):
    checkout_id = _checkout(customer, [(mug, 1)])

    with django_capture_on_commit_callbacks(execute=True):
        response = _sandbox_round_trip(signed_in, checkout_id, "pay")

    assert response.status_code == 200
    assert "Your payment was received" in response.content.decode()
    order = Order.objects.get(checkout_id=checkout_id)
    assert order.status == Order.Status.PAID
    page = signed_in.get(reverse("shop:order", args=[order.pk])).content.decode()
    assert "Payment received" in page
    assert "Pay now" not in page


def test_a_failed_payment_offers_a_retry(signed_in, customer, mug):
    checkout_id = _checkout(customer, [(mug, 1)])

    response = _sandbox_round_trip(signed_in, checkout_id, "fail")

    body = response.content.decode()
    assert "The payment did not go through" in body
    assert "Try again" in body
    assert Order.objects.get(checkout_id=checkout_id).status == Order.Status.PENDING_PAYMENT


def test_someone_elses_payment_return_is_not_found(signed_in, other_customer, mug):
    other = Client()
    other.force_login(other_customer)
    checkout_id = _checkout(other_customer, [(mug, 1)])
    other.post(reverse("shop:pay"), {"checkout": checkout_id, "gateway": "sandbox"})
    payment = Payment.objects.get(checkout_id=checkout_id)

    by_reference = signed_in.get(
        f"{reverse('shop:payment-return')}?gateway=sandbox&reference={payment.reference}"
    )
    by_id = signed_in.get(f"{reverse('shop:payment-return')}?payment={payment.pk}")

    assert (by_reference.status_code, by_id.status_code) == (404, 404)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING


def test_paying_an_order_that_is_not_awaiting_payment_is_refused(signed_in, order):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)

    response = signed_in.post(reverse("shop:pay"), {"order": order.pk, "gateway": "sandbox"})

    assert response.status_code == 200
    assert "only orders awaiting payment are paid" in response.content.decode()
    assert not Payment.objects.exists()


def test_an_unknown_gateway_is_refused(signed_in, order):
    response = signed_in.post(reverse("shop:pay"), {"order": order.pk, "gateway": "bitcoin"})

    assert response.status_code == 200
    assert 'class="message message-error"' in response.content.decode()
    assert not Payment.objects.exists()
