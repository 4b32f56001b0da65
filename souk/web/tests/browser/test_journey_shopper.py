"""The whole shopper journey in Chromium against the live server, with a Celery worker: sign up,
find two artisans' shops on the near-me map, search and pick a suggestion, choose a variant,
add goods of both shops to the cart, check out with a new address, pay on the sandbox
gateway's page, see the paid orders with their timeline, and the bell counting the news."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from souk.accounts.models import User
from souk.catalog.seed.vocabulary import CITIES
from souk.catalog.tests.factories import make_category, make_product
from souk.notifications.models import Kind, Notification, OutboxMessage
from souk.notifications.tests.test_outbox_worker import wait_until
from souk.orders.models import Order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def at(city: str, north_km: float) -> Point:
    lat, lng = CITIES[city]
    return Point(lng, lat + north_km / 111.32, srid=4326)


def assert_header_search_in_one_row(page: Any) -> None:
    """The header's search box keeps its button beside it (on every page, not only the
    catalog's), and its suggestion list floats over the page."""
    box = page.locator("#site-search").bounding_box()
    button = page.locator(".site-header .search-combo button").bounding_box()
    assert box
    assert button
    assert button["x"] > box["x"] + box["width"] - 1
    assert abs((box["y"] + box["height"] / 2) - (button["y"] + button["height"] / 2)) < 2
    suggestions = page.locator("#site-search-options")
    assert suggestions.evaluate("e => getComputedStyle(e).position") == "absolute"


@pytest.fixture
def two_shops(user_factory, shop_factory) -> dict[str, Any]:
    """Two artisans' shops in Marrakesh, 1 km and 3 km north of the centre, with goods."""
    pottery = make_category("Pottery")
    textiles = make_category("Textiles")
    near = shop_factory(
        owner=user_factory(role="artisan"),
        name="Medina Pottery",
        location=at("Marrakesh", 1),
        address="4 Derb Dabachi",
    )
    far = shop_factory(
        owner=user_factory(role="artisan"),
        name="Atlas Weavers",
        location=at("Marrakesh", 3),
        address="17 Rue Bab Doukkala",
    )
    tagine = make_product(
        shop=near,
        category=pottery,
        name="Painted Tagine",
        description="Hand-painted clay, for the table.",
        variants=[
            {"price": "30.00", "quantity": 4, "attributes": {"size": "Small"}},
            {"price": "45.00", "quantity": 6, "attributes": {"size": "Large"}},
        ],
    )
    rug = make_product(shop=far, category=textiles, name="Berber Wool Rug", price="120.00")
    return {"near": near, "far": far, "tagine": tagine, "rug": rug}


def test_from_the_map_to_a_paid_order(page, live_server, shot, settings, worker, two_shops):
    settings.PUBLIC_URL = live_server.url  # the sandbox gateway's page is on the live server
    settings.WEB_BELL_POLL_SECONDS = 1
    base = live_server.url
    tagine = two_shops["tagine"]

    # Sign up from the log-in link.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/signup/"))
    shot(page, "journey-signup")
    page.get_by_label("First name").fill("Salma")
    page.get_by_label("Email").fill("salma@example.com")
    page.get_by_label("Password").fill("Quiet-Harbour-42")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    shopper = User.objects.get(email="salma@example.com")
    badge = page.locator("#bell .badge")
    expect(badge).to_have_text("0")
    shot(page, "journey-home")

    # Near me: a city, then shops and goods nearest first.
    page.get_by_role("link", name="Near me").click()
    expect(page.locator("#map .leaflet-overlay-pane path").first).to_be_attached()
    page.get_by_label("City").select_option("Marrakesh")
    results = page.locator("#near-results")
    expect(results.get_by_role("heading", level=2)).to_have_text("Within 10 km of Marrakesh")
    shops = results.locator("ol[data-kind=shops] > li")
    expect(shops.locator("a")).to_have_text(["Medina Pottery", "Atlas Weavers"])
    goods = results.locator("ol[data-kind=products] > li")
    expect(goods).to_have_count(2)
    expect(goods.nth(0)).to_contain_text("Painted Tagine")
    expect(goods.nth(1)).to_contain_text("Berber Wool Rug")
    distances = [float(t.split()[0]) for t in shops.locator(".distance").all_inner_texts()]
    assert distances == pytest.approx([1.0, 3.0], abs=0.1)
    shot(page, "journey-map")

    # Search: type, pick a suggestion, choose a variant, add it to the cart.
    box = page.get_by_role("combobox", name="Search handmade goods")
    box.press_sequentially("tagin", delay=30)
    page.get_by_role("option", name="Painted Tagine").click()
    expect(page).to_have_url(re.compile(rf"/products/{tagine.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Painted Tagine")
    page.get_by_label(re.compile("Large")).check()
    expect(page.locator("p.chosen:visible")).to_contain_text("45.00 USD")
    shot(page, "journey-product")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()
    expect(page.locator("#nav-cart")).to_contain_text("1")

    # The other shop's rug, from the shop's page.
    page.get_by_role("link", name="Near me").click()
    page.get_by_label("City").select_option("Marrakesh")
    page.locator("#near-results ol[data-kind=shops] a", has_text="Atlas Weavers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Atlas Weavers")
    shot(page, "journey-shop")
    page.get_by_role("link", name="Berber Wool Rug").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Berber Wool Rug")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()
    expect(page.locator("#nav-cart")).to_contain_text("2")

    # The cart: two shops.
    page.locator("#nav-cart").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.locator(".cart-shop")).to_have_count(2)
    expect(page.get_by_test_id("total")).to_have_text("165.00 USD")
    expect(page.locator(".cart-line", has_text="Painted Tagine")).to_contain_text("Large")
    assert_header_search_in_one_row(page)
    shot(page, "journey-cart")

    # Checkout with a new delivery address.
    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(re.compile(r"/checkout/$"))
    page.get_by_label("A new address").check()
    page.get_by_label("Recipient").fill("Salma Bennani")
    page.get_by_label("Street address").fill("8 Derb el Ferrane")
    page.locator("#id_city").fill("Marrakesh")
    page.get_by_label("Country code").fill("MA")
    shot(page, "journey-checkout")
    page.get_by_role("button", name="Place order").click()

    # Pay on the sandbox gateway's page.
    expect(page.get_by_test_id("pay-total")).to_have_text("165.00 USD")
    expect(badge).to_have_text("2")  # "order placed", one per shop    shot(page, "journey-pay")
    page.get_by_role("button", name="Pay now").click()
    expect(page).to_have_url(re.compile(r"/api/payments/sandbox/"))
    shot(page, "journey-sandbox")
    page.get_by_role("button", name="Pay").click()
    expect(
        page.get_by_role("heading", name="Thank you! Your payment was received.")
    ).to_be_visible()
    expect(page.locator(".status-paid")).to_have_count(2)
    expect(badge).to_have_text("4")  # and now "paid", one per order
    shot(page, "journey-paid")

    # My orders: both paid, each with its timeline.
    page.get_by_role("link", name="My orders").click()
    expect(page.locator(".order-card")).to_have_count(2)
    shot(page, "journey-orders")
    orders = list(Order.objects.filter(customer=shopper).order_by("pk"))
    assert [o.status for o in orders] == [Order.Status.PAID, Order.Status.PAID]
    assert {o.shop_id for o in orders} == {two_shops["near"].pk, two_shops["far"].pk}
    pottery = next(o for o in orders if o.shop_id == two_shops["near"].pk)
    page.get_by_role("link", name=f"Order {pottery.number}").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")
    expect(page.get_by_role("link", name="Painted Tagine (Large)")).to_be_visible()
    timeline = page.locator(".timeline li.done")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(0)).to_contain_text("Order placed")
    expect(timeline.nth(1)).to_contain_text("Payment received")
    shot(page, "journey-order")

    # The bell's inbox: the paid orders' news, and their emails sent by the worker.
    page.locator("#bell").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    unread = page.locator(".inbox-item.unread")
    expect(unread).to_have_count(4)
    for order in orders:
        expect(unread.filter(has_text=order.number)).to_have_count(2)
    shot(page, "journey-notifications")
    paid = Notification.objects.filter(recipient=shopper, kind=Kind.ORDER_PAID)
    assert sorted(n.data["order"] for n in paid) == [o.pk for o in orders]
    emails = OutboxMessage.objects.filter(recipient=shopper, kind=Kind.ORDER_PAID)
    wait_until(
        lambda: emails.filter(status=OutboxMessage.Status.SENT).count() == 2,
        seconds=15,
        what="paid-order emails sent by the worker",
        log=worker.log,
    )
