"""The studio's dashboard and orders in Chromium: an artisan with paid orders sees the charts,
changes the period, downloads the CSV and moves orders to their next status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from souk.orders.models import Order
from souk.orders.services.lifecycle import order_mark_paid
from souk.orders.tests.factories import place_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CHART_DRAWN = "id => !!(window.Chart && Chart.getChart(document.getElementById(id)))"


def _sign_in(page: Any, live_server: Any, user: Any) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def paid_orders(shop, customer, other_customer, product_factory, category) -> list[Order]:
    from souk.catalog.tests.factories import make_category

    textiles = make_category("Textiles")
    mug = product_factory(shop=shop, category=category, name="Stoneware Mug", quantity=40)
    rug = product_factory(shop=shop, category=textiles, name="Wool Rug", price="85.00", quantity=10)
    orders = [
        place_order(user=customer, lines=[(mug.variants.get(), 2), (rug.variants.get(), 1)]),
        place_order(user=other_customer, lines=[(mug.variants.get(), 1)]),
    ]
    for order in orders:
        assert order_mark_paid(order_id=order.pk)
    return orders


def _no_sideways_scroll(page: Any) -> None:
    """At phone width the page fits (charts follow their box once they have resized)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("() => document.documentElement.scrollWidth <= 390")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_dashboard_charts_period_and_csv(page, live_server, shot, artisan, paid_orders):
    _sign_in(page, live_server, artisan)

    page.goto(f"{live_server.url}/studio/")

    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    for chart in ("chart-monthly", "chart-categories", "chart-products"):
        page.wait_for_function(CHART_DRAWN, arg=chart)
    expect(page.locator(".kpi").first).to_contain_text("145.00")  # 2 x 20 + 85, and 20
    expect(page.get_by_role("row", name="Wool Rug")).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "studio-sales-dashboard")

    # A period with no sales: the body is swapped in place, with its empty state.
    page.get_by_label("From", exact=True).fill("2020-01-01")
    page.get_by_label("To", exact=True).fill("2020-03-31")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="No sales in this period")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/studio/?from=2020-01-01&to=2020-03-31")
    expect(page.locator("canvas")).to_have_count(0)

    # A bad period is refused where it was typed.
    page.get_by_label("From", exact=True).fill("2020-05-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#period-from-error")).to_be_visible()
    expect(page.get_by_label("From", exact=True)).to_have_attribute("aria-invalid", "true")

    # A preset brings the sales back, charts redrawn.
    page.get_by_role("link", name="This year").click()
    page.wait_for_function(CHART_DRAWN, arg="chart-monthly")
    expect(page.get_by_role("link", name="This year")).to_have_attribute("aria-current", "true")

    # Back and forward through the periods: the charts are drawn again.
    page.go_back()
    expect(page.locator("#period-from-error")).to_be_visible()
    page.go_forward()
    page.wait_for_function(CHART_DRAWN, arg="chart-products")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.startswith(f"shop-{paid_orders[0].shop_id}-dashboard-")
    text = Path(download.path()).read_bytes().decode()
    assert text.startswith("month,revenue,orders\r\n")
    assert "Wool Rug" in text


def test_orders_move_to_their_next_status(page, live_server, shot, artisan, paid_orders):
    first, second = paid_orders
    _sign_in(page, live_server, artisan)

    page.goto(f"{live_server.url}/studio/orders/")

    expect(page.get_by_role("heading", name="Orders", level=1)).to_be_visible()
    row = page.locator(f"#order-{first.pk}")
    expect(row).to_contain_text("Paid")
    _no_sideways_scroll(page)
    shot(page, "studio-sales-orders")

    row.get_by_role("button", name="Start preparing").click()
    expect(page.locator(f"#order-{first.pk}")).to_contain_text("Processing")
    expect(page.locator("#flash")).to_contain_text(f"Order {first.number} is now Processing.")
    expect(page.locator(f"#order-{first.pk}").get_by_role("button")).to_have_text("Mark as shipped")
    first.refresh_from_db()
    assert first.status == Order.Status.PROCESSING

    page.get_by_role("link", name=first.number).click()
    expect(page.get_by_role("heading", name=f"Order {first.number}")).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator("address")).to_contain_text("1 Market Street")
    shot(page, "studio-sales-order")

    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.locator(".message-success")).to_contain_text("is now Shipped")
    expect(page.locator(".timeline li")).to_have_count(4)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Order.Status.SHIPPED, Order.Status.PAID)


def test_shop_switcher(page, live_server, artisan, shop, shop_factory, paid_orders):
    second = shop_factory(owner=artisan, name="Zephyr Weavers")
    _sign_in(page, live_server, artisan)
    page.goto(f"{live_server.url}/studio/orders/")
    expect(page.locator(f"#order-{paid_orders[0].pk}")).to_be_visible()

    page.get_by_label("Shop", exact=True).select_option(label="Zephyr Weavers")
    page.get_by_role("button", name="Switch").click()

    expect(page.get_by_role("heading", name="Nothing to fulfil")).to_be_visible()
    expect(page.get_by_label("Shop", exact=True)).to_have_value(str(second.pk))
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("Sales of Zephyr Weavers")).to_be_visible()
    expect(page.get_by_role("heading", name="No sales in this period")).to_be_visible()
