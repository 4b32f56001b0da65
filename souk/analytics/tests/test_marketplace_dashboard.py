"""GET /api/dashboard/: the whole marketplace for administrators (API.md, "Notifications and
analytics"), checked against a plain Python computation over every shop's orders."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.catalog.models import Variant
from souk.catalog.tests.factories import make_category
from souk.core.testing import assert_problem
from souk.inventory.models import InventoryAlert
from souk.orders.models import Order
from souk.orders.services.lifecycle import order_cancel, order_mark_paid, orders_expire
from souk.orders.tests.factories import make_coupon, place_order

URL = "/api/dashboard/"
REVENUE_STATUSES = ("paid", "processing", "shipped", "delivered")
CENT = Decimal("0.01")

pytestmark = pytest.mark.django_db


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT)}"


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def last_twelve_months(end: date) -> tuple[date, list[str]]:
    year, month = end.year, end.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    start, months = date(year, month, 1), []
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return start, months


def variant_of(product_factory: Any, shop: Any, category: Any, name: str, price: str) -> Variant:
    product = product_factory(shop=shop, category=category, name=name, price=price, quantity=50)
    return product.variants.get()


@pytest.fixture
def market(
    customer, other_customer, user_factory, shop, shop_factory, product_factory, category
) -> dict[str, Any]:
    """Three shops and two categories: shop C earns 42.00, shops A and B 40.00 each (a tie),
    one paid order is cancelled, one is never paid, one expires; one buyer orders twice."""
    third_buyer = user_factory(role="customer")
    textiles = make_category("Textiles")
    shop_b = shop_factory(owner=user_factory(role="artisan"), name="Bazaar B")
    shop_c = shop_factory(owner=user_factory(role="artisan"), name="Crafts C")
    mug = variant_of(product_factory, shop, category, "Mug", "20.00")
    bowl = variant_of(product_factory, shop, category, "Bowl", "10.00")
    rug = variant_of(product_factory, shop_b, textiles, "Rug", "40.00")
    vase = variant_of(product_factory, shop_c, category, "Vase", "15.00")
    make_coupon(code="SAVE10", kind="percent", value="10")

    paid = [
        place_order(user=customer, lines=[(mug, 2)]),
        place_order(user=other_customer, lines=[(rug, 1)]),
        place_order(user=customer, lines=[(vase, 1)]),
        place_order(user=third_buyer, lines=[(vase, 2)], coupon_code="SAVE10"),
        place_order(user=third_buyer, lines=[(bowl, 2)]),
    ]
    for order in paid:
        assert order_mark_paid(order_id=order.pk) is True
    order_cancel(order_id=paid[4].pk, actor=third_buyer)
    place_order(user=customer, lines=[(rug, 1)])  # never paid
    expired = place_order(user=other_customer, lines=[(mug, 1)])
    Order.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire() == 1
    return {
        "shops": (shop, shop_b, shop_c),
        "categories": (category, textiles),
        "products": {"mug": mug.product, "rug": rug.product, "vase": vase.product},
    }


def ranks(revenues: dict[Any, Decimal]) -> dict[Any, int]:
    """RANK() by revenue, highest first (ties share a rank)."""
    return {
        key: 1 + sum(other > value for other in revenues.values())
        for key, value in revenues.items()
    }


def expected(start: date, end: date, months: list[str]) -> dict[str, Any]:
    """The dashboard's figures from the orders, in plain Python."""
    orders = [
        order
        for order in Order.all_objects.prefetch_related("items__product__category", "shop")
        if order.paid_at is not None and start <= order.paid_at.astimezone(UTC).date() <= end
    ]
    sales = [order for order in orders if order.status in REVENUE_STATUSES]
    revenue = sum((order.total for order in sales), Decimal(0))
    lines = [line for order in sales for line in order.items.all()]
    per_buyer: dict[int, int] = defaultdict(int)
    monthly: dict[str, list[Any]] = {month: [Decimal(0), 0] for month in months}
    per_shop: dict[int, list[Any]] = {}
    for order in sales:
        per_buyer[order.customer_id] += 1
        assert order.paid_at is not None
        month = monthly[order.paid_at.astimezone(UTC).strftime("%Y-%m")]
        month[0] += order.total
        month[1] += 1
        shop = per_shop.setdefault(order.shop_id, [order.shop.name, Decimal(0), 0])
        shop[1] += order.total
        shop[2] += 1
    per_product: dict[int, list[Any]] = {}
    for line in lines:
        row = per_product.setdefault(line.product_id, [line.product, Decimal(0), 0])
        row[1] += line.net_total
        row[2] += line.quantity
    product_rank = ranks({pk: row[1] for pk, row in per_product.items()})
    category_rank: dict[int, int] = {}
    for category_id in {row[0].category_id for row in per_product.values()}:
        category_rank.update(
            ranks(
                {pk: row[1] for pk, row in per_product.items() if row[0].category_id == category_id}
            )
        )
    shop_rank = ranks({pk: row[1] for pk, row in per_shop.items()})
    per_category: dict[int, list[Any]] = {}
    for line in lines:
        row = per_category.setdefault(
            line.product.category_id, [line.product.category.name, Decimal(0)]
        )
        row[1] += line.net_total
    count = len(sales)
    return {
        "kpis": {
            "revenue": money(revenue),
            "orders": count,
            "average_order_value": money(
                (revenue / count).quantize(CENT, rounding=ROUND_HALF_UP) if count else Decimal(0)
            ),
            "items_sold": sum(line.quantity for line in lines),
            "customers": len(per_buyer),
            "repeat_customers": sum(n >= 2 for n in per_buyer.values()),
            "refunded": money(
                sum((order.total for order in orders if order.status == "cancelled"), Decimal(0))
            ),
            "low_stock_count": InventoryAlert.objects.filter(resolved_at__isnull=True).count(),
        },
        "monthly_revenue": [
            {"month": month, "revenue": money(value), "orders": n}
            for month, (value, n) in monthly.items()
        ],
        "categories": {pk: (name, money(value)) for pk, (name, value) in per_category.items()},
        "category_revenue": {pk: value for pk, (_, value) in per_category.items()},
        "top_products": sorted(
            (
                {
                    "product": pk,
                    "name": product.name,
                    "category": product.category_id,
                    "revenue": money(value),
                    "units": units,
                    "rank": product_rank[pk],
                    "category_rank": category_rank[pk],
                }
                for pk, (product, value, units) in per_product.items()
            ),
            key=lambda row: (row["rank"], row["product"]),
        ),
        "top_shops": sorted(
            (
                {
                    "shop": pk,
                    "name": name,
                    "revenue": money(value),
                    "orders": n,
                    "rank": shop_rank[pk],
                }
                for pk, (name, value, n) in per_shop.items()
            ),
            key=lambda row: (row["rank"], row["shop"]),
        ),
    }


# --- Who may read it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("customer", 403, "permission_denied"),
        ("artisan", 403, "permission_denied"),
        ("staff", 403, "permission_denied"),
        ("admin_user", 200, None),
    ],
)
def test_only_administrators_read_the_marketplace_dashboard(
    request, client_for, role, status, code
):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = client_for(user).get(URL)

    if code is None:
        assert response.status_code == status, response.content
        assert response.json()["kpis"]["orders"] == 0
    else:
        assert_problem(response, status, code)


# --- Shape and figures -------------------------------------------------------------------------


def test_the_dashboard_has_exactly_the_documented_shape(client_for, admin_user, market):
    body = client_for(admin_user).get(URL).json()

    assert set(body) == {
        "currency",
        "period",
        "kpis",
        "monthly_revenue",
        "category_breakdown",
        "top_products",
        "top_shops",
    }
    start, months = last_twelve_months(today())
    assert body["currency"] == "USD"
    assert body["period"] == {"from": start.isoformat(), "to": today().isoformat()}
    assert set(body["kpis"]) == {
        "revenue",
        "orders",
        "average_order_value",
        "items_sold",
        "customers",
        "repeat_customers",
        "refunded",
        "low_stock_count",
    }
    assert [set(row) for row in body["monthly_revenue"]] == [{"month", "revenue", "orders"}] * 12
    assert [row["month"] for row in body["monthly_revenue"]] == months
    assert [set(row) for row in body["category_breakdown"]] == [
        {"category", "name", "revenue", "share"}
    ] * 2
    assert [set(row) for row in body["top_products"]] == [
        {"product", "name", "category", "revenue", "units", "rank", "category_rank"}
    ] * 3
    assert [set(row) for row in body["top_shops"]] == [
        {"shop", "name", "revenue", "orders", "rank"}
    ] * 3


def test_top_shops_are_ranked_with_ties_sharing_a_rank(client_for, admin_user, market):
    shop_a, shop_b, shop_c = market["shops"]

    body = client_for(admin_user).get(URL).json()

    assert body["top_shops"] == [
        {"shop": shop_c.pk, "name": "Crafts C", "revenue": "42.00", "orders": 2, "rank": 1},
        {"shop": shop_a.pk, "name": shop_a.name, "revenue": "40.00", "orders": 1, "rank": 2},
        {"shop": shop_b.pk, "name": "Bazaar B", "revenue": "40.00", "orders": 1, "rank": 2},
    ]


def test_the_figures_equal_a_plain_computation_over_all_shops(client_for, admin_user, market):
    ceramics, textiles = market["categories"]
    products = market["products"]
    start, months = last_twelve_months(today())
    want = expected(start, today(), months)

    body = client_for(admin_user).get(URL).json()

    assert body["kpis"] == want["kpis"]
    assert body["kpis"] == {
        "revenue": "122.00",
        "orders": 4,
        "average_order_value": "30.50",
        "items_sold": 6,
        "customers": 3,
        "repeat_customers": 1,
        "refunded": "20.00",
        "low_stock_count": 0,
    }
    assert body["monthly_revenue"] == want["monthly_revenue"]
    assert body["monthly_revenue"][-1] == {"month": months[-1], "revenue": "122.00", "orders": 4}
    assert {
        row["category"]: (row["name"], row["revenue"]) for row in body["category_breakdown"]
    } == want["categories"]
    assert [row["category"] for row in body["category_breakdown"]] == [ceramics.pk, textiles.pk]
    shares = [Decimal(row["share"]) for row in body["category_breakdown"]]
    assert sum(shares) == Decimal("1.0000")
    whole = sum(want["category_revenue"].values(), Decimal(0))
    for row, share in zip(body["category_breakdown"], shares, strict=True):
        assert abs(share - want["category_revenue"][row["category"]] / whole) < Decimal("0.0001")
    assert body["top_products"] == want["top_products"]
    assert [
        (row["product"], row["rank"], row["category_rank"]) for row in body["top_products"]
    ] == [
        (products["vase"].pk, 1, 1),
        *sorted([(products["mug"].pk, 2, 2), (products["rug"].pk, 2, 1)]),
    ]
    assert body["top_shops"] == want["top_shops"]


def test_a_period_without_sales_counts_nothing(client_for, admin_user, market):
    body = client_for(admin_user).get(URL, {"from": "2025-01-01", "to": "2025-12-31"}).json()

    assert body["period"] == {"from": "2025-01-01", "to": "2025-12-31"}
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
        {"month": f"2025-{month:02d}", "revenue": "0.00", "orders": 0} for month in range(1, 13)
    ]
    assert body["category_breakdown"] == []
    assert body["top_products"] == []
    assert body["top_shops"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-05-02", "to": "2026-05-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"top": "0"}, "top"),
        ({"top": "101"}, "top"),
    ],
)
def test_a_bad_period_is_rejected(client_for, admin_user, params, field):
    body = assert_problem(client_for(admin_user).get(URL, params), 400, "validation_error")

    assert field in body["errors"]


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_has_the_monthly_and_the_product_tables(client_for, admin_user, market):
    products = market["products"]
    ceramics, textiles = market["categories"]
    start, months = last_twelve_months(today())

    response = client_for(admin_user).get(URL, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="marketplace-dashboard-{start}-{today()}.csv"'
    )
    mug, rug = sorted([products["mug"], products["rug"]], key=lambda product: product.pk)
    category = {products["mug"].pk: ceramics.pk, products["rug"].pk: textiles.pk}
    category_rank = {products["mug"].pk: 2, products["rug"].pk: 1}
    revenue = {products["mug"].pk: "40.00", products["rug"].pk: "40.00"}
    units = {products["mug"].pk: 2, products["rug"].pk: 1}
    assert response.content.decode().split("\r\n") == [
        "month,revenue,orders",
        *[f"{month},0.00,0" for month in months[:-1]],
        f"{months[-1]},122.00,4",
        "",
        "rank,product,name,category,category_rank,revenue,units",
        f"1,{products['vase'].pk},Vase,{ceramics.pk},1,42.00,3",
        *[
            f"2,{p.pk},{p.name},{category[p.pk]},{category_rank[p.pk]},{revenue[p.pk]},{units[p.pk]}"
            for p in (mug, rug)
        ],
        "",
    ]


# --- The brief cache ---------------------------------------------------------------------------


def rollup_reads(queries: CaptureQueriesContext) -> int:
    return sum("analytics_shopday" in query["sql"] for query in queries.captured_queries)


def pay_a_new_order(market: dict[str, Any], buyer: Any) -> None:
    shop_a = market["shops"][0]
    mug = market["products"]["mug"].variants.get()
    assert mug.shop_id == shop_a.pk
    assert order_mark_paid(order_id=place_order(user=buyer, lines=[(mug, 1)]).pk) is True


def test_a_second_read_within_the_cache_time_reads_no_rollup(
    client_for, admin_user, customer, market
):
    client = client_for(admin_user)
    with CaptureQueriesContext(connection) as first:
        assert client.get(URL).json()["kpis"]["revenue"] == "122.00"
    assert rollup_reads(first) >= 1

    with CaptureQueriesContext(connection) as second:
        body = client.get(URL).json()

    assert rollup_reads(second) == 0
    assert body["kpis"]["revenue"] == "122.00"
    pay_a_new_order(market, customer)
    assert client.get(URL).json()["kpis"]["revenue"] == "122.00"  # not renewed by sales
    cache.delete_pattern("*")  # django-redis: this run's keys only
    assert client.get(URL).json()["kpis"]["revenue"] == "142.00"


def test_without_the_cache_a_new_paid_order_shows_at_once(
    client_for, admin_user, customer, market, settings
):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client = client_for(admin_user)
    assert client.get(URL).json()["kpis"]["orders"] == 4

    pay_a_new_order(market, customer)

    body = client.get(URL).json()
    assert (body["kpis"]["revenue"], body["kpis"]["orders"]) == ("142.00", 5)


def test_the_refresh_job_computes_the_default_period_ahead_so_no_read_waits(
    client_for, admin_user, customer, market
):
    from souk.analytics.tasks import marketplace_refresh_task

    client = client_for(admin_user)
    marketplace_refresh_task.delay()  # eager in tests: the job as beat runs it
    with CaptureQueriesContext(connection) as read:
        body = client.get(URL).json()
    assert rollup_reads(read) == 0
    assert body["kpis"]["revenue"] == "122.00"

    pay_a_new_order(market, customer)
    marketplace_refresh_task.delay()

    with CaptureQueriesContext(connection) as read:
        body = client.get(URL).json()
    assert rollup_reads(read) == 0
    assert (body["kpis"]["revenue"], body["kpis"]["orders"]) == ("142.00", 5)


def test_the_refresh_runs_more_often_than_the_cached_copy_expires(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["analytics.refresh-marketplace-dashboard"]
    assert entry["task"] == "souk.analytics.tasks.marketplace_refresh"
    assert 0 < entry["schedule"] < settings.DASHBOARD_CACHE_SECONDS


def test_every_top_reads_one_cached_copy(client_for, admin_user, market):
    client = client_for(admin_user)
    whole = client.get(URL, {"top": 100}).json()
    assert len(whole["top_products"]) > 1
    assert len(whole["top_shops"]) > 1

    with CaptureQueriesContext(connection) as read:
        one = client.get(URL, {"top": 1}).json()

    assert rollup_reads(read) == 0
    assert one["top_products"] == whole["top_products"][:1]
    assert one["top_shops"] == whole["top_shops"][:1]
    assert one["kpis"] == whole["kpis"]
