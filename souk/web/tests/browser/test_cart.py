"""The shopper's cart, checkout, payment and orders in Chromium against the live server:
variants from two shops into the cart, a quantity changed in place, checkout with a new
address, payment on the sandbox gateway's page, the paid order's timeline, and cancelling
another order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from souk.orders.models import Order
from souk.orders.services.cart import cart_item_add
from souk.orders.services.placement import checkout_place
from souk.orders.tests.factories import ensure_address, place_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

ADD_TO_CART = """async ([variant, quantity]) => {
  const body = new FormData();
  body.append("variant", variant);
  body.append("quantity", quantity);
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const answer = await fetch("/cart/add/", {
    method: "POST", body, headers: {"X-CSRFToken": token, "HX-Request": "true"},
  });
  return [answer.status, await answer.text()];
}"""


def _sign_in(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


@pytest.fixture
def goods(product_factory, shop, shop_factory, category) -> dict[str, Any]:
    mug = product_factory(shop=shop, category=category, name="Stoneware Mug", price="20.00")
    rug = product_factory(
        shop=shop_factory(name="Atlas Weavers"),
        category=category,
        name="Wool Rug",
        price="55.50",
        quantity=3,
    )
    return {"mug": mug.variants.get(), "rug": rug.variants.get()}


def test_cart_to_paid_order_and_a_cancelled_one(page, live_server, shot, settings, customer, goods):
    settings.PUBLIC_URL = live_server.url  # the sandbox page is reached on the live server
    earlier = place_order(user=customer, lines=[(goods["mug"], 1)])
    _sign_in(page, live_server, customer)

    # An empty cart says so; then a variant from each of two shops goes in.
    page.goto(f"{live_server.url}/cart/")
    expect(page.get_by_role("heading", name="Your cart is empty")).to_be_visible()
    for variant, quantity in ((goods["mug"], 1), (goods["rug"], 1)):
        status, body = page.evaluate(ADD_TO_CART, [variant.pk, quantity])
        assert status == 200, body
        assert "Added to your cart." in body

    # Two shops, and a quantity changed in place (htmx) with the header count following.
    page.goto(f"{live_server.url}/cart/")
    expect(page.locator(".cart-shop")).to_have_count(2)
    expect(page.locator("#nav-cart")).to_contain_text("2")
    page.get_by_label("Quantity of Stoneware Mug").fill("3")
    page.locator(".cart-line", has_text="Stoneware Mug").get_by_role(
        "button", name="Update"
    ).click()
    expect(page.get_by_text("Quantity updated.")).to_be_visible()
    expect(page.get_by_test_id("total")).to_have_text("115.50 USD")
    expect(page.locator("#nav-cart")).to_contain_text("4")
    # More than the stock is refused in place and the line keeps its quantity.
    page.get_by_label("Quantity of Wool Rug").fill("9")
    page.locator(".cart-line", has_text="Wool Rug").get_by_role("button", name="Update").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Not enough stock of Wool Rug: only 3 available"
    )
    expect(page.get_by_label("Quantity of Wool Rug")).to_have_value("1")
    shot(page, "cart-cart")

    # Checkout with a new address: a missing field is shown inline first.
    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(re.compile(r"/checkout/$"))
    expect(page.get_by_label("Home")).to_be_checked()  # the saved address is preselected
    page.get_by_label("A new address").check()
    page.get_by_label("Recipient").fill("Amal Idrissi")
    page.get_by_label("Street address").fill("12 Derb Sidi Ahmed")
    page.get_by_label("Country code").fill("MA")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#err_city")).to_be_visible()
    page.locator("#id_city").fill("Fes")
    shot(page, "cart-checkout")
    page.get_by_role("button", name="Place order").click()

    # Pay: the sandbox gateway's page, then back to a paid order.
    expect(page.get_by_test_id("pay-total")).to_have_text("115.50 USD")
    shot(page, "cart-pay")
    page.get_by_role("button", name="Pay now").click()
    expect(page).to_have_url(re.compile(r"/api/payments/sandbox/"))
    shot(page, "cart-sandbox-payment")
    page.get_by_role("button", name="Pay").click()
    expect(
        page.get_by_role("heading", name="Thank you! Your payment was received.")
    ).to_be_visible()
    expect(page.locator(".status-paid")).to_have_count(2)
    shot(page, "cart-payment-return")

    # My orders, and the paid order with its timeline.
    page.get_by_role("link", name="My orders").click()
    expect(page.locator(".order-card")).to_have_count(3)
    shot(page, "cart-orders")
    paid = Order.objects.filter(customer=customer, status="paid").order_by("pk").first()
    assert paid is not None
    page.get_by_role("link", name=f"Order {paid.number}").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")
    timeline = page.locator(".timeline li.done")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(1)).to_contain_text("Payment received")
    shot(page, "cart-order")

    # Another order is cancelled after a confirmation.
    page.goto(f"{live_server.url}/orders/{earlier.pk}/")
    page.get_by_role("button", name="Cancel this order").click()
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.get_by_text(f"Order {earlier.number} was cancelled.")).to_be_visible()
    expect(page.get_by_test_id("order-status")).to_have_text("Cancelled")
    assert Order.objects.get(pk=earlier.pk).status == Order.Status.CANCELLED


def test_a_declined_payment_is_retried_to_paid(page, live_server, shot, settings, customer, goods):
    settings.PUBLIC_URL = live_server.url
    ensure_address(customer)
    cart_item_add(user=customer, variant=goods["rug"], quantity=2)
    checkout = checkout_place(user=customer)
    _sign_in(page, live_server, customer)

    page.goto(f"{live_server.url}/pay/?checkout={checkout.pk}")
    page.get_by_role("button", name="Pay now").click()
    page.get_by_role("button", name="Fail").click()
    expect(page.get_by_role("heading", name="The payment did not go through")).to_be_visible()
    shot(page, "cart-payment-failed")
    page.get_by_role("button", name="Try again").click()
    page.get_by_role("button", name="Pay").click()

    expect(
        page.get_by_role("heading", name="Thank you! Your payment was received.")
    ).to_be_visible()
    assert Order.objects.get(checkout=checkout).status == Order.Status.PAID
