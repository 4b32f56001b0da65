"""The studio's dashboard and orders pages: who may see them, the period, the CSV, and moving
an order to its next status (the lifecycle's moves only)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from souk.catalog.models import Variant
from souk.orders.models import DeliverySchedule, Order, OrderEvent
from souk.orders.services.lifecycle import order_mark_paid
from souk.orders.tests.factories import place_order

PERIOD = {"from": "2025-01-01", "to": "2025-03-31"}


def _paid(user: Any, variant: Variant, quantity: int, paid_at: datetime) -> Order:
    order = place_order(user=user, lines=[(variant, quantity)])
    with time_machine.travel(paid_at, tick=False):
        assert order_mark_paid(order_id=order.pk)
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def mug(product_factory, shop, category) -> Variant:
    product = product_factory(shop=shop, category=category, name="Stoneware Mug", quantity=50)
    return product.variants.get()


@pytest.fixture
def sale(customer, mug) -> Order:
    return _paid(customer, mug, 2, datetime(2025, 2, 10, 9, tzinfo=UTC))


def _texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who may see them ------------------------------------------------------------------------

PAGES = [
    pytest.param("studio:dashboard", None, id="dashboard"),
    pytest.param("studio:dashboard-csv", None, id="csv"),
    pytest.param("studio:orders", None, id="orders"),
    pytest.param("studio:order", "order", id="order"),
]


@pytest.mark.parametrize(("name", "arg"), PAGES)
def test_anonymous_is_sent_to_login(client, settings, sale, name, arg):
    settings.LOGIN_URL = "/login/"
    url = reverse(name, args=[sale.pk] if arg else [])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(("name", "arg"), PAGES)
@pytest.mark.parametrize("role", ["customer", "removed_staff"])
def test_non_member_gets_404(client, as_role, sale, name, arg, role):
    client.force_login(as_role(role))

    response = client.get(reverse(name, args=[sale.pk] if arg else []))

    assert response.status_code == 404


def test_member_of_another_shop_never_reaches_this_one(client, other_artisan, shop, sale):
    client.force_login(other_artisan)

    dashboard = client.get(reverse("studio:dashboard"), {"shop": shop.pk, **PERIOD})
    orders = client.get(reverse("studio:orders"), {"shop": shop.pk, "status": "all"})
    detail = client.get(reverse("studio:order", args=[sale.pk]))
    advance = client.post(reverse("studio:order-advance", args=[sale.pk]), {"status": "processing"})

    assert dashboard.context["shop"] != shop
    assert dashboard.context["data"]["kpis"]["orders"] == 0
    assert list(orders.context["page"].object_list) == []
    assert detail.status_code == 404
    assert advance.status_code == 404
    sale.refresh_from_db()
    assert sale.status == Order.Status.PAID


def test_buyer_who_is_a_member_elsewhere_cannot_open_their_purchase_in_the_studio(
    client, other_artisan, mug
):
    order = _paid(other_artisan, mug, 1, datetime(2025, 2, 1, tzinfo=UTC))
    client.force_login(other_artisan)

    assert client.get(reverse("studio:order", args=[order.pk])).status_code == 404
    response = client.post(
        reverse("studio:order-advance", args=[order.pk]), {"status": "processing"}
    )
    assert response.status_code == 404
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


@pytest.mark.parametrize("role", ["artisan", "staff"])
def test_members_see_the_pages(client, as_role, sale, role):
    client.force_login(as_role(role))

    for url in (
        reverse("studio:dashboard"),
        reverse("studio:orders"),
        reverse("studio:order", args=[sale.pk]),
    ):
        assert client.get(url).status_code == 200, url


# --- dashboard -------------------------------------------------------------------------------


def test_dashboard_shows_the_period_figures(client, artisan, sale):
    client.force_login(artisan)

    response = client.get(reverse("studio:dashboard"), PERIOD)

    assert response.status_code == 200
    data = response.context["data"]
    assert data["kpis"]["revenue"] == "40.00"
    assert data["kpis"]["orders"] == 1
    assert [row["month"] for row in data["monthly_revenue"]] == ["2025-01", "2025-02", "2025-03"]
    assert data["top_products"][0]["name"] == "Stoneware Mug"
    body = response.content.decode()
    assert 'id="chart-monthly"' in body
    assert 'id="dashboard-data"' in body


def test_dashboard_with_no_sales_says_so(client, artisan, shop):
    client.force_login(artisan)

    response = client.get(reverse("studio:dashboard"), PERIOD)

    assert response.status_code == 200
    assert "No sales in this period" in response.content.decode()
    assert "<canvas" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"from": "2025-03-01", "to": "2025-01-01"}, "from", id="reversed"),
        pytest.param({"from": "2025-13-01"}, "from", id="not-a-date"),
        pytest.param({"from": "2015-01-01", "to": "2025-01-01"}, "from", id="too-long"),
    ],
)
def test_bad_period_shows_an_error_and_the_default_period(client, artisan, sale, query, field):
    client.force_login(artisan)

    response = client.get(reverse("studio:dashboard"), query)

    assert response.status_code == 200
    assert field in response.context["errors"]
    body = response.content.decode()
    assert "That period could not be used: showing the last 12 months." in body
    assert 'aria-invalid="true"' in body
    assert response.context["data"]["period"]["from"] != query["from"]


def test_htmx_period_change_answers_the_dashboard_body_only(client, artisan, sale):
    client.force_login(artisan)

    response = client.get(reverse("studio:dashboard"), PERIOD, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in body


def test_csv_has_the_apis_tables_and_headers(client, artisan, shop, sale):
    client.force_login(artisan)

    response = client.get(reverse("studio:dashboard-csv"), PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="shop-{shop.pk}-dashboard-2025-01-01-2025-03-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[:5] == [
        ["month", "revenue", "orders"],
        ["2025-01", "0.00", "0"],
        ["2025-02", "40.00", "1"],
        ["2025-03", "0.00", "0"],
        [],
    ]
    assert rows[5] == ["rank", "product", "name", "category", "category_rank", "revenue", "units"]
    assert rows[6][2:] == ["Stoneware Mug", str(rows[6][3]), "1", "40.00", "2"]


def test_csv_matches_the_api(client, artisan, shop, sale):
    client.force_login(artisan)

    page = client.get(reverse("studio:dashboard-csv"), PERIOD)
    api = client.get(f"/api/shops/{shop.pk}/dashboard/", {**PERIOD, "format": "csv"})

    assert api.status_code == 200
    assert page.content == api.content


def test_csv_with_a_bad_period_goes_back_to_the_dashboard(client, artisan, sale):
    client.force_login(artisan)

    response = client.get(
        reverse("studio:dashboard-csv"), {"from": "2025-03-01", "to": "2025-01-01"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("studio:dashboard") + "?")
    follow = client.get(response["Location"])
    assert "from" in follow.context["errors"]


# --- orders ----------------------------------------------------------------------------------


def test_orders_to_fulfil_lists_paid_orders_with_their_next_step(
    client, artisan, sale, customer, mug
):
    unpaid = place_order(user=customer, lines=[(mug, 1)])
    client.force_login(artisan)

    response = client.get(reverse("studio:orders"))

    listed = [order.pk for order in response.context["page"].object_list]
    assert listed == [sale.pk]
    assert unpaid.pk not in listed
    body = response.content.decode()
    assert 'name="status" value="processing"' in body
    assert "Start preparing" in body


def test_orders_filter_by_status(client, artisan, sale, customer, mug):
    unpaid = place_order(user=customer, lines=[(mug, 1)])
    client.force_login(artisan)

    response = client.get(reverse("studio:orders"), {"status": "pending_payment"})

    assert [order.pk for order in response.context["page"].object_list] == [unpaid.pk]
    tabs = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs["pending_payment"] == 1
    assert tabs["paid"] == 1
    assert tabs["all"] == 2


def test_orders_unknown_status_filter_says_so(client, artisan, sale):
    client.force_login(artisan)

    response = client.get(reverse("studio:orders"), {"status": "lost"})

    assert response.status_code == 200
    assert response.context["current"] == "to_fulfil"
    assert any("no such order status" in text for text in _texts(response))


def test_order_detail_shows_lines_address_and_timeline(client, artisan, sale):
    client.force_login(artisan)

    response = client.get(reverse("studio:order", args=[sale.pk]))

    body = response.content.decode()
    assert sale.number in body
    assert "Stoneware Mug" in body
    assert "1 Market Street" in body
    assert [event["label"] for event in response.context["events"]] == [
        "Order placed",
        "Payment received",
    ]


def test_advance_moves_the_order_to_its_next_status(client, artisan, sale):
    client.force_login(artisan)
    url = reverse("studio:order-advance", args=[sale.pk])

    response = client.post(url, {"status": "processing", "next": reverse("studio:orders")})

    assert response.status_code == 302
    assert response["Location"] == reverse("studio:orders")
    sale.refresh_from_db()
    assert sale.status == Order.Status.PROCESSING
    assert OrderEvent.objects.filter(order=sale, event="processing", actor=artisan).exists()
    assert any("is now Processing" in text for text in _texts(response))


def test_advance_by_htmx_answers_the_new_row(client, staff, sale):
    client.force_login(staff)

    response = client.post(
        reverse("studio:order-advance", args=[sale.pk]),
        {"status": "processing"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert body.startswith(f'<tr id="order-{sale.pk}">')
    assert "Mark as shipped" in body
    assert 'hx-swap-oob="true"' in body
    assert "is now Processing" in body


@pytest.mark.parametrize(
    "status",
    [
        pytest.param("shipped", id="skipping-a-step"),
        pytest.param("delivered", id="skipping-two"),
        pytest.param("paid", id="backwards"),
        pytest.param("cancelled", id="not-a-forward-move"),
    ],
)
def test_transition_not_allowed_changes_nothing(client, artisan, sale, status):
    client.force_login(artisan)
    events = OrderEvent.objects.filter(order=sale).count()

    response = client.post(reverse("studio:order-advance", args=[sale.pk]), {"status": status})

    assert response.status_code == 302
    sale.refresh_from_db()
    assert sale.status == Order.Status.PAID
    assert OrderEvent.objects.filter(order=sale).count() == events
    assert any("was not changed" in text for text in _texts(response))


def test_unknown_status_changes_nothing(client, artisan, sale):
    client.force_login(artisan)

    response = client.post(reverse("studio:order-advance", args=[sale.pk]), {"status": "lost"})

    assert response.status_code == 302
    sale.refresh_from_db()
    assert sale.status == Order.Status.PAID
    assert any("Choose the status" in text for text in _texts(response))


def test_pickup_order_is_collected_after_processing(client, artisan, sale):
    DeliverySchedule.objects.filter(order=sale).update(method=DeliverySchedule.Method.PICKUP)
    client.force_login(artisan)
    url = reverse("studio:order-advance", args=[sale.pk])
    client.post(url, {"status": "processing"})

    response = client.get(reverse("studio:order", args=[sale.pk]))

    assert response.context["order"].next_step["status"] == "delivered"
    assert "Mark as collected" in response.content.decode()
    client.post(url, {"status": "delivered"})
    sale.refresh_from_db()
    assert sale.status == Order.Status.DELIVERED


def test_advance_needs_post(client, artisan, sale):
    client.force_login(artisan)

    assert client.get(reverse("studio:order-advance", args=[sale.pk])).status_code == 405


def test_next_is_only_followed_to_this_site(client, artisan, sale):
    client.force_login(artisan)

    response = client.post(
        reverse("studio:order-advance", args=[sale.pk]),
        {"status": "processing", "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("studio:order", args=[sale.pk])


# --- studio layout ---------------------------------------------------------------------------


def test_switcher_appears_with_several_shops_and_switches(client, artisan, shop, shop_factory):
    second = shop_factory(owner=artisan, name="Second Shop")
    client.force_login(artisan)

    response = client.get(reverse("studio:dashboard"), {"shop": second.pk})

    assert response.context["shop"] == second
    body = response.content.decode()
    assert 'id="studio-shop-select"' in body
    assert f'<option value="{second.pk}" selected>' in body
    assert client.get(reverse("studio:orders")).context["shop"] == second


def test_order_of_another_member_shop_switches_the_studio_to_it(
    client, artisan, shop, shop_factory, sale
):
    second = shop_factory(owner=artisan, name="Another")
    client.force_login(artisan)
    client.get(reverse("studio:dashboard"), {"shop": second.pk})

    response = client.get(reverse("studio:order", args=[sale.pk]))

    assert response.status_code == 200
    assert client.get(reverse("studio:orders")).context["shop"] == shop


def test_orders_page_queries_do_not_grow_with_the_orders(client, artisan, customer, mug):
    _paid(customer, mug, 1, datetime(2025, 2, 1, tzinfo=UTC))
    client.force_login(artisan)
    client.get(reverse("studio:orders"))  # the layout's cached counts (bell, cart) filled
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("studio:orders"))
    for day in (2, 3, 4):
        _paid(customer, mug, 1, datetime(2025, 2, day, tzinfo=UTC))
    with CaptureQueriesContext(connection) as four:
        response = client.get(reverse("studio:orders"))

    assert len(response.context["page"].object_list) == 4
    assert len(four) == len(one)


@pytest.mark.parametrize("pk", [pytest.param(0, id="zero"), pytest.param(10**20, id="huge")])
def test_unknown_order_is_404(client, artisan, shop, pk):
    client.force_login(artisan)

    assert client.get(reverse("studio:order", args=[pk])).status_code == 404
    advance = client.post(reverse("studio:order-advance", args=[pk]), {"status": "processing"})
    assert advance.status_code == 404


def test_odd_page_numbers_do_not_fail(client, artisan, sale):
    client.force_login(artisan)

    for page in ("abc", "-1", "999"):
        response = client.get(reverse("studio:orders"), {"status": "all", "page": page})
        assert response.status_code == 200
        assert [order.pk for order in response.context["page"].object_list] == [sale.pk]
