"""The artisan's journey in Chromium, end to end through the pages: sign up as an artisan, open
a shop (its place picked on the map), create a product with two variants and a photo, see it in
the inventory; a customer (a second browser) buys it through cart, checkout and the sandbox
payment; the artisan then sees the paid order, moves it step by step to delivered, sees the
stock reduced and the dashboard's figures include the sale (computed by the Celery worker)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from souk.catalog.models import Product
from souk.catalog.tests.factories import make_category
from souk.orders.models import Order
from souk.shops.models import Shop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

OUTLINES_DRAWN = "document.querySelectorAll('#shop-map .leaflet-overlay-pane path').length > 100"
CHART_DRAWN = "id => !!(window.Chart && Chart.getChart(document.getElementById(id)))"


def _png(path: Any) -> Any:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (170, 80, 40)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _watched(page: Any, errors: list[str]) -> Any:
    """A page whose console errors and uncaught errors are collected (as the `page` fixture)."""
    page.on(
        "console",
        lambda message: (
            errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.set_default_timeout(10_000)
    return page


def _studio_link(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Studio").get_by_role("link", name=name, exact=True)


def _reload_until(page: Any, locator: Any, text: str, attempts: int = 20) -> None:
    """Reload the page until `locator` shows `text` (figures a worker refreshes in the
    background), waiting up to a second for it after each load."""
    for _ in range(attempts):
        try:
            expect(locator).to_contain_text(text, timeout=1_000)
            return
        except AssertionError:
            page.reload()
    expect(locator).to_contain_text(text)


def _sign_up(page: Any, base: str, first_name: str, email: str, *, artisan: bool) -> None:
    page.goto(f"{base}/signup/")
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("Quiet-Harbour-42")
    if artisan:
        page.get_by_label("I am an artisan").check()
    page.get_by_role("button", name="Create my account").click()


def test_an_artisan_sells_a_new_product_and_delivers_the_order(
    page, live_server, shot, settings, worker, new_context, tmp_path
):
    settings.PUBLIC_URL = live_server.url  # the sandbox gateway's page is on the live server
    base = live_server.url
    make_category("Ceramics")  # categories are the platform's, not the artisans'

    # Sign up as an artisan: straight to opening a shop.
    page.goto(f"{base}/signup/")
    shot(page, "journey-artisan-signup")
    _sign_up(page, base, "Rania", "rania@example.com", artisan=True)
    page.wait_for_url(f"{base}/studio/shop/new/")
    expect(page.get_by_text("Welcome to Souk! Your account is ready.")).to_be_visible()

    # Open the shop, its place picked on the map.
    page.wait_for_function(OUTLINES_DRAWN)
    page.locator("#shop-map").click(position={"x": 420, "y": 160})
    expect(page.locator("#s-lat")).not_to_have_value("")
    page.fill("#s-name", "Rania Ceramics")
    page.fill("#s-address", "4 Derb Lihoudi, Fes")
    shot(page, "journey-artisan-shop-new")
    page.get_by_role("button", name="Open the shop").click()
    page.wait_for_url(f"{base}/studio/products/")
    expect(page.get_by_text("No products yet")).to_be_visible()
    shop = Shop.objects.get(owner__email="rania@example.com")
    assert shop.location is not None
    shot(page, "journey-artisan-products-empty")

    # A new product with two variants, then a photo.
    page.get_by_role("link", name="Create a product").click()
    page.fill("#f-name", "Tea Bowl")
    page.select_option("#f-category", label="Ceramics")
    page.fill("#v-sku-1", "BOWL-S")
    page.fill("#v-price-1", "18.00")
    page.fill("#v-qty-1", "6")
    page.fill("#v-attr-1", "size: S")
    page.get_by_role("button", name="Add a variant").click()
    page.fill("#v-sku-2", "BOWL-L")
    page.fill("#v-price-2", "26.00")
    page.fill("#v-qty-2", "5")
    page.fill("#v-attr-2", "size: L")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_text("Product created")).to_be_visible()
    page.set_input_files("#image-file", str(_png(tmp_path / "bowl.png")))
    expect(page.locator("#gallery .sc-thumbs img")).to_have_count(1)
    shot(page, "journey-artisan-product-editor")
    product = Product.objects.get(shop=shop)

    page.goto(f"{base}/studio/products/")
    expect(page.locator(".sc-product", has_text="Tea Bowl").locator("img")).to_have_count(1)
    shot(page, "journey-artisan-products")

    _studio_link(page, "Inventory").click()
    large = page.locator('tr[data-sku="BOWL-L"]')
    expect(large.locator("td").nth(2)).to_have_text("5")
    expect(page.locator('tr[data-sku="BOWL-S"] td').nth(2)).to_have_text("6")
    shot(page, "journey-artisan-inventory-before")

    # No sales yet on the dashboard.
    _studio_link(page, "Dashboard").click()
    expect(page.get_by_role("heading", name="No sales in this period")).to_be_visible()
    shot(page, "journey-artisan-dashboard-before")

    # A customer, in a browser of their own, buys two large bowls.
    errors: list[str] = []
    buyer = _watched(new_context().new_page(), errors)
    _sign_up(buyer, base, "Omar", "omar@example.com", artisan=False)
    buyer.wait_for_url(f"{base}/")
    buyer.goto(f"{base}/shops/{shop.pk}/")
    shot(buyer, "journey-artisan-customer-shop")
    buyer.get_by_role("link", name="Tea Bowl").first.click()
    expect(buyer).to_have_url(f"{base}/products/{product.pk}/")
    expect(buyer.get_by_role("heading", name="Tea Bowl", level=1)).to_be_visible()
    buyer.get_by_role("radio", name=re.compile(r"\bL\b.*26.00 USD")).check()
    expect(buyer.locator(".chosen:visible")).to_contain_text("In stock (5)")
    buyer.get_by_label("Quantity").fill("2")
    shot(buyer, "journey-artisan-customer-product")
    buyer.get_by_role("button", name="Add to cart").click()
    expect(buyer.get_by_text("Added to your cart.")).to_be_visible()

    buyer.goto(f"{base}/cart/")
    expect(buyer.get_by_test_id("total")).to_have_text("52.00 USD")
    shot(buyer, "journey-artisan-customer-cart")
    buyer.get_by_role("link", name="Check out").click()
    expect(buyer).to_have_url(re.compile(r"/checkout/$"))
    buyer.get_by_label("Recipient").fill("Omar Bennani")
    buyer.get_by_label("Street address").fill("9 Talaa Kbira")
    buyer.locator("#id_city").fill("Fes")
    buyer.get_by_label("Country code").fill("MA")
    shot(buyer, "journey-artisan-customer-checkout")
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.get_by_test_id("pay-total")).to_have_text("52.00 USD")
    shot(buyer, "journey-artisan-customer-pay")
    buyer.get_by_role("button", name="Pay now").click()
    expect(buyer).to_have_url(re.compile(r"/api/payments/sandbox/"))
    shot(buyer, "journey-artisan-customer-sandbox")
    buyer.get_by_role("button", name="Pay").click()
    expect(
        buyer.get_by_role("heading", name="Thank you! Your payment was received.")
    ).to_be_visible()
    shot(buyer, "journey-artisan-customer-paid")
    buyer.context.close()
    assert not errors, f"errors in the customer's browser: {errors}"
    order = Order.objects.get(shop=shop)

    # Back in the studio: the paid order, moved on one step at a time until delivered.
    _studio_link(page, "Orders").click()
    row = page.locator(f"#order-{order.pk}")
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text("52.00")
    expect(row).to_contain_text("Omar")
    shot(page, "journey-artisan-orders-paid")
    for step, status in (
        ("Start preparing", "Processing"),
        ("Mark as shipped", "Shipped"),
        ("Mark as delivered", "Delivered"),
    ):
        row.get_by_role("button", name=f"{step}: {order.number}").click()
        expect(row.locator(".status")).to_have_text(status)
        expect(page.locator("#flash")).to_contain_text(f"Order {order.number} is now {status}.")
    expect(row.get_by_role("button")).to_have_count(0)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    shot(page, "journey-artisan-orders-delivered")

    # The stock went down by the two bowls sold.
    _studio_link(page, "Inventory").click()
    expect(page.locator('tr[data-sku="BOWL-L"] td').nth(2)).to_have_text("3")
    expect(page.locator('tr[data-sku="BOWL-S"] td').nth(2)).to_have_text("6")
    shot(page, "journey-artisan-inventory-after")

    # The dashboard includes the sale once the worker has refreshed its figures.
    _studio_link(page, "Dashboard").click()
    revenue = page.locator(".kpi", has_text="Revenue").locator("dd")

    _reload_until(page, revenue, "52.00")
    expect(revenue).to_contain_text("52.00")
    expect(page.locator(".kpi", has_text="Items sold").locator("dd")).to_have_text("2")
    expect(page.locator(".kpi", has_text="Orders").first.locator("dd")).to_have_text("1")
    page.wait_for_function(CHART_DRAWN, arg="chart-monthly")
    expect(page.get_by_role("row", name=re.compile("Tea Bowl"))).to_be_visible()
    shot(page, "journey-artisan-dashboard-after")
