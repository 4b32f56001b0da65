"""GET /api/shops/{id}/dashboard/: who may read it, its exact shape and figures, the period
query, the CSV export and the brief cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.catalog.models import Variant
from souk.core.testing import assert_problem
from souk.inventory.models import InventoryAlert
from souk.orders.models import Order
from souk.orders.services.lifecycle import (
    order_cancel,
    order_mark_paid,
    order_soft_delete,
    order_transition,
    orders_expire,
)
from souk.orders.tests.factories import make_coupon, place_order

PERIOD = "from=2025-01-01&to=2025-03-31"
ZERO_MONTHS = [
    {"month": "2025-01", "revenue": "0.00", "orders": 0},
    {"month": "2025-02", "revenue": "0.00", "orders": 0},
    {"month": "2025-03", "revenue": "0.00", "orders": 0},
]


def _url(shop_id: int, query: str = PERIOD) -> str:
    return f"/api/shops/{shop_id}/dashboard/" + (f"?{query}" if query else "")


def _at(year: int, month: int, day: int, *time: int) -> datetime:
    hour, minute, second, micro = (*time, 0, 0, 0, 0)[:4]
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def _variant(product_factory: Any, shop: Any, category: Any, name: str, price: str) -> Variant:
    product = product_factory(shop=shop, category=category, name=name, price=price, quantity=50)
    return product.variants.get()


def _paid(user: Any, lines: list[tuple[Variant, int]], paid_at: datetime, **extra: Any) -> Order:
    """An order placed, then paid at `paid_at` (the rollups move with the payment)."""
    order = place_order(user=user, lines=lines, **extra)
    with time_machine.travel(paid_at, tick=False):
        assert order_mark_paid(order_id=order.pk)
    return Order.all_objects.get(pk=order.pk)


@pytest.fixture
def textiles(db):
    from souk.catalog.tests.factories import make_category

    return make_category("Textiles")


@pytest.fixture
def mug(product_factory, shop, category):
    return _variant(product_factory, shop, category, "Stoneware Mug", "20.00")


@pytest.fixture
def rug(product_factory, shop, textiles):
    return _variant(product_factory, shop, textiles, "Rug, wool", "35.50")


@pytest.fixture
def sales(customer, other_customer, mug, rug):
    """Three paid orders in the first quarter of 2025, none in February."""
    make_coupon(code="SAVE10", kind="percent", value="10")
    return [
        _paid(customer, [(mug, 2), (rug, 1)], _at(2025, 1, 10, 9)),  # 75.50
        _paid(customer, [(mug, 1)], _at(2025, 3, 31, 23, 59, 59)),  # 20.00
        _paid(other_customer, [(rug, 1)], _at(2025, 3, 1), coupon_code="SAVE10"),  # 31.95
    ]


# --- route x role ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("customer", 403, "permission_denied"),
        ("other_artisan", 403, "permission_denied"),
        ("removed_staff", 403, "permission_denied"),
        ("staff", 200, None),
        ("artisan", 200, None),
        ("admin_user", 200, None),
    ],
)
@pytest.mark.django_db
def test_members_and_admins_read_the_dashboard(request, client_for, shop, role, status, code):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = client_for(user).get(_url(shop.pk))

    if code is None:
        assert response.status_code == status, response.content
        assert response.json()["kpis"]["orders"] == 0
    else:
        assert_problem(response, status, code)


@pytest.mark.django_db
def test_an_unknown_shop_is_404(client_for, admin_user, shop):
    response = client_for(admin_user).get(_url(shop.pk + 1000))

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("role", ["artisan", "admin_user"])
@pytest.mark.django_db
def test_a_deleted_shop_is_404(request, client_for, shop, role):
    user = request.getfixturevalue(role)
    shop.soft_delete()

    response = client_for(user).get(_url(shop.pk))

    assert_problem(response, 404, "not_found")


# --- shape and figures -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dashboard_has_the_exact_shape_and_figures(client_for, artisan, shop, sales, mug, rug):
    response = client_for(artisan).get(_url(shop.pk))

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "currency": settings.CURRENCY,
        "period": {"from": "2025-01-01", "to": "2025-03-31"},
        "kpis": {
            "revenue": "127.45",
            "orders": 3,
            "average_order_value": "42.48",
            "items_sold": 5,
            "customers": 2,
            "repeat_customers": 1,
            "refunded": "0.00",
            "low_stock_count": 0,
        },
        "monthly_revenue": [
            {"month": "2025-01", "revenue": "75.50", "orders": 1},
            {"month": "2025-02", "revenue": "0.00", "orders": 0},
            {"month": "2025-03", "revenue": "51.95", "orders": 2},
        ],
        "category_breakdown": [
            {
                "category": rug.product.category_id,
                "name": "Textiles",
                "revenue": "67.45",
                "share": "0.5292",
            },
            {
                "category": mug.product.category_id,
                "name": "Ceramics",
                "revenue": "60.00",
                "share": "0.4708",
            },
        ],
        "top_products": [
            {
                "product": rug.product_id,
                "name": "Rug, wool",
                "category": rug.product.category_id,
                "revenue": "67.45",
                "units": 2,
                "rank": 1,
                "category_rank": 1,
            },
            {
                "product": mug.product_id,
                "name": "Stoneware Mug",
                "category": mug.product.category_id,
                "revenue": "60.00",
                "units": 3,
                "rank": 2,
                "category_rank": 1,
            },
        ],
    }
    shares = [Decimal(row["share"]) for row in response.json()["category_breakdown"]]
    assert sum(shares) == Decimal("1.0000")


@pytest.mark.django_db
def test_an_empty_period_lists_every_month_at_zero(client_for, artisan, shop):
    response = client_for(artisan).get(_url(shop.pk, "from=2024-11-15&to=2025-02-03"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"from": "2024-11-15", "to": "2025-02-03"}
    assert body["kpis"] == {
        "revenue": "0.00",
        "orders": 0,
        "average_order_value": "0.00",
        "items_sold": 0,
        "customers": 0,
        "repeat_customers": 0,
        "refunded": "0.00",
        "low_stock_count": 0,
    }
    assert body["monthly_revenue"] == [
        {"month": "2024-11", "revenue": "0.00", "orders": 0},
        {"month": "2024-12", "revenue": "0.00", "orders": 0},
        {"month": "2025-01", "revenue": "0.00", "orders": 0},
        {"month": "2025-02", "revenue": "0.00", "orders": 0},
    ]
    assert body["category_breakdown"] == []
    assert body["top_products"] == []


@pytest.mark.django_db
def test_the_default_period_is_this_month_and_the_11_before_it(client_for, artisan, customer, mug):
    with time_machine.travel(_at(2026, 3, 15, 12), tick=False):
        _paid(customer, [(mug, 1)], _at(2025, 3, 31, 23, 59, 59))  # the day before: out
        _paid(customer, [(mug, 2)], _at(2025, 4, 1))  # first instant: in
        _paid(customer, [(mug, 3)], _at(2026, 3, 15, 11))  # today: in

        response = client_for(artisan).get(_url(mug.shop_id, ""))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"from": "2025-04-01", "to": "2026-03-15"}
    months = ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]
    months += ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    revenue = {"2025-04": ("40.00", 1), "2026-03": ("60.00", 1)}
    assert body["monthly_revenue"] == [
        {
            "month": month,
            "revenue": revenue.get(month, ("0.00", 0))[0],
            "orders": revenue.get(month, ("0.00", 0))[1],
        }
        for month in months
    ]
    assert body["kpis"]["revenue"] == "100.00"
    assert body["kpis"]["items_sold"] == 5


@pytest.mark.django_db
def test_only_to_given_reaches_back_to_the_11th_month_before(client_for, artisan, shop):
    response = client_for(artisan).get(_url(shop.pk, "to=2025-03-10"))

    assert response.status_code == 200, response.content
    assert response.json()["period"] == {"from": "2024-04-01", "to": "2025-03-10"}
    assert len(response.json()["monthly_revenue"]) == 12


@pytest.mark.django_db
def test_a_five_year_period_is_accepted(client_for, artisan, shop):
    response = client_for(artisan).get(_url(shop.pk, "from=2020-01-01&to=2024-12-31"))

    assert response.status_code == 200, response.content
    assert len(response.json()["monthly_revenue"]) == 60


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-13-01", "from"),
        ("from=2025-01-01&to=yesterday", "to"),
        ("from=2025-04-01&to=2025-03-31", "from"),
        ("from=2019-01-01&to=2025-03-31", "from"),
        ("from=2025-01-01&to=2025-03-31&top=0", "top"),
        ("from=2025-01-01&to=2025-03-31&top=101", "top"),
        ("from=2025-01-01&to=2025-03-31&top=ten", "top"),
    ],
)
@pytest.mark.django_db
def test_a_bad_query_is_a_problem(client_for, artisan, shop, query, field):
    response = client_for(artisan).get(_url(shop.pk, query))

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == [field]


# --- what counts -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_orders_paid_in_the_period_count_as_revenue(
    client_for, artisan, shop, customer, other_customer, user_factory, mug, rug
):
    third, fourth = user_factory(role="customer"), user_factory(role="customer")
    _paid(customer, [(mug, 1)], _at(2024, 12, 31, 23, 59, 59, 999999))  # before: out
    _paid(customer, [(mug, 1)], _at(2025, 4, 1))  # after: out
    inside = _paid(customer, [(mug, 1)], _at(2025, 1, 1))  # 20.00
    moved = _paid(other_customer, [(rug, 1)], _at(2025, 2, 14))  # 35.50, then delivered
    for status in ("processing", "shipped", "delivered"):
        order_transition(order_id=moved.pk, status=status, actor=artisan)
    processing = _paid(other_customer, [(mug, 2)], _at(2025, 3, 3))  # 40.00
    order_transition(order_id=processing.pk, status="processing", actor=artisan)
    place_order(user=third, lines=[(rug, 3)])  # pending: nowhere
    expired = place_order(user=third, lines=[(rug, 4)])
    Order.all_objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    assert orders_expire() == 1
    unpaid_cancel = place_order(user=fourth, lines=[(mug, 5)])
    order_cancel(order_id=unpaid_cancel.pk, actor=fourth)  # never paid: nowhere
    refunded = _paid(fourth, [(rug, 2)], _at(2025, 3, 20))  # 71.00, cancelled after payment
    order_cancel(order_id=refunded.pk, actor=fourth)

    response = client_for(artisan).get(_url(shop.pk))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kpis"] == {
        "revenue": "95.50",
        "orders": 3,
        "average_order_value": "31.83",
        "items_sold": 4,
        "customers": 2,
        "repeat_customers": 1,
        "refunded": "71.00",
        "low_stock_count": 0,
    }
    assert body["monthly_revenue"] == [
        {"month": "2025-01", "revenue": "20.00", "orders": 1},
        {"month": "2025-02", "revenue": "35.50", "orders": 1},
        {"month": "2025-03", "revenue": "40.00", "orders": 1},
    ]
    assert [(row["name"], row["revenue"]) for row in body["category_breakdown"]] == [
        ("Ceramics", "60.00"),
        ("Textiles", "35.50"),
    ]
    assert [(row["name"], row["revenue"], row["units"]) for row in body["top_products"]] == [
        ("Stoneware Mug", "60.00", 3),
        ("Rug, wool", "35.50", 1),
    ]
    assert inside.status == Order.Status.PAID


@pytest.mark.django_db
def test_soft_deleted_orders_and_products_keep_their_history(
    client_for, artisan, shop, customer, mug, rug
):
    gone = _paid(customer, [(mug, 1), (rug, 1)], _at(2025, 2, 1))  # 55.50
    order_soft_delete(order_id=gone.pk)
    rug.product.soft_delete()

    response = client_for(artisan).get(_url(shop.pk))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kpis"]["revenue"], body["kpis"]["orders"], body["kpis"]["items_sold"]) == (
        "55.50",
        1,
        2,
    )
    assert [(row["name"], row["revenue"]) for row in body["top_products"]] == [
        ("Rug, wool", "35.50"),
        ("Stoneware Mug", "20.00"),
    ]
    assert [row["share"] for row in body["category_breakdown"]] == ["0.6396", "0.3604"]


@pytest.mark.django_db
def test_low_stock_counts_the_shops_open_alerts(
    client_for, artisan, shop, category, product_factory, shop_factory
):
    variants = [_variant(product_factory, shop, category, f"Bowl {n}", "9.00").pk for n in range(3)]
    for variant_id in variants[:2]:
        InventoryAlert.objects.create(shop=shop, variant_id=variant_id, quantity=1, threshold=3)
    InventoryAlert.objects.create(
        shop=shop, variant_id=variants[2], quantity=2, threshold=3, resolved_at=timezone.now()
    )
    elsewhere = shop_factory()
    theirs = _variant(product_factory, elsewhere, category, "Plate", "9.00")
    InventoryAlert.objects.create(shop=elsewhere, variant=theirs, quantity=0, threshold=3)

    response = client_for(artisan).get(_url(shop.pk))

    assert response.status_code == 200, response.content
    assert response.json()["kpis"]["low_stock_count"] == 2


@pytest.mark.django_db
def test_ties_share_a_rank_and_the_next_rank_skips(
    client_for, artisan, shop, customer, category, textiles, product_factory
):
    a = _variant(product_factory, shop, category, "Jug", "25.00")
    b = _variant(product_factory, shop, category, "Vase", "50.00")
    c = _variant(product_factory, shop, textiles, "Towel", "30.00")
    d = _variant(product_factory, shop, category, "Cup", "20.00")
    _paid(customer, [(a, 2), (b, 1), (c, 1), (d, 1)], _at(2025, 2, 2))
    ids = {"Jug": a.product_id, "Vase": b.product_id, "Towel": c.product_id, "Cup": d.product_id}

    response = client_for(artisan).get(_url(shop.pk))
    top_two = client_for(artisan).get(_url(shop.pk, f"{PERIOD}&top=2"))

    assert response.status_code == 200, response.content
    rows = [
        (row["product"], row["revenue"], row["units"], row["rank"], row["category_rank"])
        for row in response.json()["top_products"]
    ]
    assert rows == [
        (ids["Jug"], "50.00", 2, 1, 1),
        (ids["Vase"], "50.00", 1, 1, 1),
        (ids["Towel"], "30.00", 1, 3, 1),
        (ids["Cup"], "20.00", 1, 4, 3),
    ]
    assert [(row["product"], row["rank"]) for row in top_two.json()["top_products"]] == [
        (ids["Jug"], 1),
        (ids["Vase"], 1),
    ]
    assert [row["share"] for row in response.json()["category_breakdown"]] == ["0.8000", "0.2000"]


# --- CSV ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_csv_export_holds_the_monthly_and_product_tables(
    client_for, artisan, shop, sales, mug, rug
):
    response = client_for(artisan).get(_url(shop.pk, f"{PERIOD}&format=csv"))

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="shop-{shop.pk}-dashboard-2025-01-01-2025-03-31.csv"'
    )
    assert response.content.decode() == (
        "month,revenue,orders\r\n"
        "2025-01,75.50,1\r\n"
        "2025-02,0.00,0\r\n"
        "2025-03,51.95,2\r\n"
        "\r\n"
        "rank,product,name,category,category_rank,revenue,units\r\n"
        f'1,{rug.product_id},"Rug, wool",{rug.product.category_id},1,67.45,2\r\n'
        f"2,{mug.product_id},Stoneware Mug,{mug.product.category_id},1,60.00,3\r\n"
    )


@pytest.mark.django_db
def test_a_bad_query_for_csv_is_still_a_json_problem(client_for, artisan, shop):
    response = client_for(artisan).get(_url(shop.pk, "from=2025-04-01&to=2025-03-31&format=csv"))

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["from"]


# --- cache and query count ---------------------------------------------------------------------


def _orders_queries(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries if "orders_order" in query["sql"]]


@pytest.mark.django_db
def test_a_second_read_comes_from_the_cache(client_for, artisan, shop, sales):
    client = client_for(artisan)
    first = client.get(_url(shop.pk))

    with CaptureQueriesContext(connection) as context:
        second = client.get(_url(shop.pk))

    assert second.status_code == 200
    assert second.json() == first.json()
    assert _orders_queries(context) == []


@pytest.mark.django_db
def test_a_payment_makes_the_next_read_fresh(
    client_for, artisan, shop, customer, mug, django_capture_on_commit_callbacks
):
    _paid(customer, [(mug, 1)], timezone.now())
    client = client_for(artisan)
    assert client.get(_url(shop.pk, "")).json()["kpis"]["orders"] == 1
    order = place_order(user=customer, lines=[(mug, 2)])

    with django_capture_on_commit_callbacks(execute=True):
        assert order_mark_paid(order_id=order.pk)

    kpis = client.get(_url(shop.pk, "")).json()["kpis"]
    assert (kpis["orders"], kpis["revenue"], kpis["items_sold"]) == (2, "60.00", 3)


@pytest.mark.django_db
def test_the_cache_is_renewed_only_once_the_payment_commits(
    client_for, artisan, shop, customer, mug, django_capture_on_commit_callbacks
):
    _paid(customer, [(mug, 1)], timezone.now())
    client = client_for(artisan)
    assert client.get(_url(shop.pk, "")).json()["kpis"]["orders"] == 1
    order = place_order(user=customer, lines=[(mug, 2)])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert order_mark_paid(order_id=order.pk)
    before_commit = client.get(_url(shop.pk, "")).json()["kpis"]["orders"]
    for callback in callbacks:
        callback()
    after_commit = client.get(_url(shop.pk, "")).json()["kpis"]["orders"]

    assert (before_commit, after_commit) == (1, 2)


@pytest.mark.django_db
def test_a_cancellation_after_payment_makes_the_next_read_fresh(
    client_for, artisan, shop, customer, mug, django_capture_on_commit_callbacks
):
    order = _paid(customer, [(mug, 1)], timezone.now())
    client = client_for(artisan)
    assert client.get(_url(shop.pk, "")).json()["kpis"]["revenue"] == "20.00"

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=customer)

    kpis = client.get(_url(shop.pk, "")).json()["kpis"]
    assert (kpis["orders"], kpis["revenue"], kpis["refunded"]) == (0, "0.00", "20.00")


def _queries_for_a_fresh_read(client: Any, shop_id: int) -> int:
    from django.core.cache import cache

    cache.delete_pattern("*")  # type: ignore[attr-defined]  # django-redis API
    with CaptureQueriesContext(connection) as context:
        response = client.get(_url(shop_id))
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_orders_or_products(
    client_for, artisan, shop, customer, other_customer, category, textiles, product_factory
):
    client = client_for(artisan)
    first = _variant(product_factory, shop, category, "Jug 0", "10.00")
    _paid(customer, [(first, 1)], _at(2025, 1, 5))
    few = _queries_for_a_fresh_read(client, shop.pk)
    for n in range(1, 8):
        variant = _variant(product_factory, shop, [category, textiles][n % 2], f"Jug {n}", "10.00")
        buyer = [customer, other_customer][n % 2]
        _paid(buyer, [(variant, n), (first, 1)], _at(2025, 1 + n % 3, 1 + n))

    many = _queries_for_a_fresh_read(client, shop.pk)

    assert client.get(_url(shop.pk)).json()["kpis"]["orders"] == 8
    # the same statements whatever the history (the months give the KPIs, the ranked products
    # the categories and the units sold)
    assert few == many == 7
