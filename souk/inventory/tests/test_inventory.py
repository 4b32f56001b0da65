"""The stock ledger, adjustments, purchases and the cached shop inventory over HTTP.

Every stock change (sale, cancel, expiry, purchase and its reversal, adjustment, a variant's
stock edited in the catalog) writes one movement per variant, and afterwards every variant's
stock is >= 0 and equals the sum of its ledger (`ledger_mismatches() == []`). A refused request
changes nothing: no stock, no movement, no purchase row.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.catalog.models import Variant
from souk.core.testing import assert_problem
from souk.inventory.models import Purchase, PurchaseItem, StockMovement
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import Order
from souk.orders.services.lifecycle import orders_expire
from souk.orders.tests.factories import ensure_address, place_order
from souk.shops.models import Shop

MOVEMENTS = "/api/inventory/movements/"
ADJUST = "/api/inventory/adjustments/"
PURCHASES = "/api/purchases/"
ORDERS = "/api/orders/"
pytestmark = pytest.mark.django_db


def inventory_url(shop_id):
    return f"/api/shops/{shop_id}/inventory/"


def purchase_url(pk):
    return f"{PURCHASES}{pk}/"


def stock(variant):
    return Variant.all_objects.get(pk=variant.pk).quantity


def ledger(variant):
    """(delta, reason, reference, quantity_after, actor id) of each movement, oldest first."""
    return list(
        StockMovement.objects.filter(variant=variant)
        .order_by("id")
        .values_list("delta", "reason", "reference", "quantity_after", "actor_id")
    )


def snapshot():
    """Everything a refused stock request must leave alone."""
    return (
        sorted(Variant.all_objects.values_list("pk", "quantity")),
        StockMovement.objects.count(),
        Purchase.objects.count(),
        Purchase.objects.filter(reversed_at__isnull=True).count(),
        PurchaseItem.objects.count(),
    )


@pytest.fixture
def variant(product):
    """The default variant of `product` (5 in stock, opening movement +5)."""
    return product.variants.get()


@pytest.fixture
def owner_client(client_for, artisan):
    return client_for(artisan)


@pytest.fixture
def other_shop_variant(other_artisan, product_factory, category):
    other_shop = Shop.objects.get(owner=other_artisan)
    return product_factory(shop=other_shop, category=category, name="Other Jug").variants.get()


def order_via_api(client, shop, variant, quantity):
    return client.post(
        ORDERS,
        {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": quantity}]},
        format="json",
    )


# --- The ledger -------------------------------------------------------------------------------


def test_order_placement_writes_a_sale_movement(client_for, customer, shop, variant):
    ensure_address(customer)

    response = order_via_api(client_for(customer), shop, variant, 2)

    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert stock(variant) == 3
    assert ledger(variant) == [
        (5, "adjustment", "opening", 5, None),
        (-2, "sale", f"order:{number}", 3, customer.pk),
    ]
    assert ledger_mismatches() == []


def test_cancel_writes_a_cancel_movement_once(client_for, customer, variant):
    order = place_order(user=customer, lines=[(variant, 2)])
    client = client_for(customer)

    response = client.post(f"{ORDERS}{order.pk}/cancel/")
    again = client.post(f"{ORDERS}{order.pk}/cancel/")

    assert response.status_code == 200, response.content
    assert_problem(again, 409, "invalid_transition")
    assert stock(variant) == 5
    assert ledger(variant)[1:] == [
        (-2, "sale", f"order:{order.number}", 3, customer.pk),
        (2, "cancel", f"order:{order.number}", 5, customer.pk),
    ]
    assert ledger_mismatches() == []


def test_expiry_writes_an_expiry_movement_once(customer, variant):
    order = place_order(user=customer, lines=[(variant, 4)])
    later = timezone.now() + timedelta(days=1)

    assert orders_expire(now=later) == 1
    assert orders_expire(now=later) == 0

    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED
    assert stock(variant) == 5
    assert ledger(variant)[1:] == [
        (-4, "sale", f"order:{order.number}", 1, customer.pk),
        (4, "expiry", f"order:{order.number}", 5, None),
    ]
    assert ledger_mismatches() == []


def test_movements_list_the_shop_ledger_newest_first(
    client_for, artisan, staff, customer, shop, product_factory, category, variant
):
    second = product_factory(shop=shop, category=category, name="Bowl", quantity=7)
    bowl = second.variants.get()
    order = place_order(user=customer, lines=[(variant, 1), (bowl, 2)])

    for user in (artisan, staff):
        response = client_for(user).get(MOVEMENTS, {"shop": shop.pk})

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] == 4
        rows = body["results"]
        assert [(r["variant"], r["delta"], r["reason"]) for r in rows] == [
            (bowl.pk, -2, "sale"),
            (variant.pk, -1, "sale"),
            (bowl.pk, 7, "adjustment"),
            (variant.pk, 5, "adjustment"),
        ]
        newest = rows[0]
        assert set(newest) == {
            "id",
            "variant",
            "delta",
            "reason",
            "reference",
            "quantity_after",
            "actor",
            "note",
            "created_at",
        }
        assert newest["reference"] == f"order:{order.number}"
        assert newest["quantity_after"] == 5
        assert newest["actor"] == {"id": customer.pk, "name": customer.get_full_name()}
        assert rows[-1]["actor"] is None


def test_movements_filter_by_variant(owner_client, customer, shop, product_factory, category):
    mug = product_factory(shop=shop, category=category, name="Mug", quantity=5).variants.get()
    bowl = product_factory(shop=shop, category=category, name="Bowl", quantity=6).variants.get()
    place_order(user=customer, lines=[(mug, 1), (bowl, 1)])

    response = owner_client.get(MOVEMENTS, {"shop": shop.pk, "variant": bowl.pk})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["variant"], r["delta"], r["quantity_after"]) for r in rows] == [
        (bowl.pk, -1, 5),
        (bowl.pk, 6, 6),
    ]


def test_movements_of_another_shops_variant_are_not_shown(owner_client, shop, other_shop_variant):
    response = owner_client.get(MOVEMENTS, {"shop": shop.pk, "variant": other_shop_variant.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        pytest.param({}, 400, "validation_error", id="no-shop"),
        pytest.param({"shop": "abc"}, 400, "validation_error", id="shop-not-int"),
        pytest.param({"shop": 999_999}, 404, "not_found", id="unknown-shop"),
        pytest.param({"shop": "SHOP", "variant": "x"}, 400, "validation_error", id="bad-variant"),
    ],
)
def test_movements_bad_query(owner_client, shop, variant, params, status, code):
    query = {key: (shop.pk if value == "SHOP" else value) for key, value in params.items()}

    assert_problem(owner_client.get(MOVEMENTS, query), status, code)


@pytest.mark.parametrize("who", ["customer", "other_artisan"])
def test_movements_need_membership(request, client_for, shop, variant, who):
    response = client_for(request.getfixturevalue(who)).get(MOVEMENTS, {"shop": shop.pk})

    assert_problem(response, 403, "permission_denied")


def test_an_admin_reads_any_shops_ledger(client_for, admin_user, customer, shop, variant):
    place_order(user=customer, lines=[(variant, 2)])

    every = client_for(admin_user).get(MOVEMENTS, {"shop": shop.pk})
    one = client_for(admin_user).get(MOVEMENTS, {"shop": shop.pk, "variant": variant.pk})

    assert every.status_code == one.status_code == 200, every.content
    assert [(r["variant"], r["delta"], r["reason"]) for r in every.json()["results"]] == [
        (variant.pk, -2, "sale"),
        (variant.pk, 5, "adjustment"),
    ]
    assert one.json() == every.json()
    assert_problem(client_for(admin_user).get(MOVEMENTS), 400, "validation_error")


def test_movements_need_credentials(api_client, shop):
    assert_problem(api_client.get(MOVEMENTS, {"shop": shop.pk}), 401, "not_authenticated")


def test_movements_query_count_holds_as_the_page_grows(owner_client, user_factory, shop, variant):
    def list_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get(MOVEMENTS, {"shop": shop.pk}).status_code == 200
        return len(ctx.captured_queries)

    place_order(user=user_factory(), lines=[(variant, 1)])
    list_queries()  # the first request of a user fills the cached auth state
    few = list_queries()
    for _ in range(3):
        place_order(user=user_factory(), lines=[(variant, 1)])

    assert StockMovement.objects.filter(shop=shop).count() == 5
    assert list_queries() == few


# --- Adjustments ------------------------------------------------------------------------------


@pytest.mark.parametrize(("delta", "after"), [(4, 9), (-5, 0), (-2, 3)])
def test_adjustment_changes_stock_through_the_ledger(owner_client, artisan, variant, delta, after):
    response = owner_client.post(
        ADJUST, {"variant": variant.pk, "delta": delta, "note": "stock count"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["variant"] == variant.pk
    assert body["delta"] == delta
    assert body["reason"] == "adjustment"
    assert body["quantity_after"] == after
    assert body["note"] == "stock count"
    assert body["actor"] == {"id": artisan.pk, "name": artisan.get_full_name()}
    assert stock(variant) == after
    assert ledger(variant)[-1] == (delta, "adjustment", "adjustment", after, artisan.pk)
    assert ledger_mismatches() == []


def test_staff_may_adjust(client_for, staff, variant):
    response = client_for(staff).post(ADJUST, {"variant": variant.pk, "delta": 1}, format="json")

    assert response.status_code == 201, response.content
    assert stock(variant) == 6
    assert ledger(variant)[-1] == (1, "adjustment", "adjustment", 6, staff.pk)


def test_an_admin_adjusts_any_shops_stock(client_for, admin_user, variant):
    response = client_for(admin_user).post(
        ADJUST, {"variant": variant.pk, "delta": -2, "note": "broken in transit"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["actor"] == {"id": admin_user.pk, "name": admin_user.get_full_name()}
    assert stock(variant) == 3
    assert ledger(variant)[-1] == (-2, "adjustment", "adjustment", 3, admin_user.pk)
    assert ledger_mismatches() == []


def test_an_admin_adjustment_below_zero_is_409_and_changes_nothing(client_for, admin_user, variant):
    before = snapshot()

    response = client_for(admin_user).post(
        ADJUST, {"variant": variant.pk, "delta": -6}, format="json"
    )

    assert_problem(response, 409, "insufficient_stock")
    assert snapshot() == before


def test_adjustment_below_zero_is_409_and_changes_nothing(owner_client, variant):
    before = snapshot()

    response = owner_client.post(ADJUST, {"variant": variant.pk, "delta": -6}, format="json")

    assert_problem(response, 409, "insufficient_stock")
    assert response.json()["errors"] == {
        "items": [{"variant": variant.pk, "requested": 6, "available": 5}]
    }
    assert snapshot() == before
    assert ledger_mismatches() == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"delta": 0}, id="zero"),
        pytest.param({"delta": "two"}, id="not-int"),
        pytest.param({"delta": 1.5}, id="fraction"),
        pytest.param({}, id="missing-delta"),
        pytest.param({"delta": 10_000_000}, id="huge"),
        pytest.param({"delta": 1, "variant": None}, id="missing-variant"),
        pytest.param({"delta": 1, "variant": 999_999}, id="unknown-variant"),
    ],
)
def test_adjustment_bad_input_is_400_and_changes_nothing(owner_client, variant, body):
    payload = {"variant": variant.pk, "note": "x", **body}
    payload = {key: value for key, value in payload.items() if value is not None}
    before = snapshot()

    response = owner_client.post(ADJUST, payload, format="json")

    assert_problem(response, 400, "validation_error")
    assert snapshot() == before


def test_adjusting_another_shops_variant_is_refused(owner_client, other_shop_variant):
    before = snapshot()

    response = owner_client.post(
        ADJUST, {"variant": other_shop_variant.pk, "delta": 3}, format="json"
    )

    assert_problem(response, 403, "permission_denied")
    assert snapshot() == before


@pytest.mark.parametrize("who", ["customer", "other_artisan"])
def test_adjustment_needs_membership(request, client_for, variant, who):
    before = snapshot()

    response = client_for(request.getfixturevalue(who)).post(
        ADJUST, {"variant": variant.pk, "delta": 3}, format="json"
    )

    assert_problem(response, 403, "permission_denied")
    assert snapshot() == before


def test_adjustment_needs_credentials(api_client, variant):
    before = snapshot()

    response = api_client.post(ADJUST, {"variant": variant.pk, "delta": 3}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert snapshot() == before


# --- Purchases --------------------------------------------------------------------------------


@pytest.fixture
def bowl(shop, category, product_factory):
    return product_factory(shop=shop, category=category, name="Bowl", quantity=1).variants.get()


def purchase_body(shop, *lines, **overrides):
    body = {
        "shop": shop.pk,
        "supplier": "Clay & Co",
        "reference": "INV-7",
        "purchased_at": timezone.localdate().isoformat(),
        "items": [
            {"variant": variant.pk, "quantity": quantity, "unit_cost": cost}
            for variant, quantity, cost in lines
        ],
    }
    body.update(overrides)
    return body


def test_purchase_raises_stock_with_purchase_movements(owner_client, artisan, shop, variant, bowl):
    response = owner_client.post(
        PURCHASES,
        purchase_body(shop, (variant, 10, "4.50"), (bowl, 3, "7.25")),
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    purchase = Purchase.objects.get()
    assert body["id"] == purchase.pk
    assert body["shop"] == shop.pk
    assert body["supplier"] == "Clay & Co"
    assert body["reference"] == "INV-7"
    assert body["purchased_at"] == f"{timezone.localdate().isoformat()}T00:00:00Z"
    assert body["total_cost"] == "66.75"
    assert body["currency"] == "USD"
    assert body["created_by"] == artisan.pk
    assert [(i["variant"], i["quantity"], i["unit_cost"]) for i in body["items"]] == [
        (variant.pk, 10, "4.50"),
        (bowl.pk, 3, "7.25"),
    ]
    assert stock(variant) == 15
    assert stock(bowl) == 4
    reference = f"purchase:{purchase.pk}"
    assert ledger(variant)[-1] == (10, "purchase", reference, 15, artisan.pk)
    assert ledger(bowl)[-1] == (3, "purchase", reference, 4, artisan.pk)
    assert ledger_mismatches() == []


def test_purchases_list_and_detail(client_for, owner_client, staff, shop, variant):
    created = owner_client.post(PURCHASES, purchase_body(shop, (variant, 2, "1.00")), format="json")
    pk = created.json()["id"]

    listed = client_for(staff).get(PURCHASES)
    by_shop = client_for(staff).get(PURCHASES, {"shop": shop.pk})
    detail = client_for(staff).get(purchase_url(pk))

    assert listed.status_code == by_shop.status_code == detail.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [pk]
    assert [row["id"] for row in by_shop.json()["results"]] == [pk]
    assert detail.json() == created.json()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param("empty-items", id="empty-items"),
        pytest.param("zero-quantity", id="zero-quantity"),
        pytest.param("negative-quantity", id="negative-quantity"),
        pytest.param("negative-cost", id="negative-cost"),
        pytest.param("duplicate-variant", id="duplicate-variant"),
        pytest.param("other-shop-variant", id="other-shop-variant"),
        pytest.param("unknown-variant", id="unknown-variant"),
        pytest.param("future-date", id="future-date"),
        pytest.param("no-supplier", id="no-supplier"),
        pytest.param("unknown-shop", id="unknown-shop"),
    ],
)
def test_invalid_purchase_is_400_and_writes_nothing(
    owner_client, shop, variant, bowl, other_shop_variant, change
):
    """One bad line refuses the whole purchase (all-or-nothing)."""
    good = (variant, 2, "1.00")
    bodies = {
        "empty-items": purchase_body(shop),
        "zero-quantity": purchase_body(shop, good, (bowl, 0, "1.00")),
        "negative-quantity": purchase_body(shop, good, (bowl, -3, "1.00")),
        "negative-cost": purchase_body(shop, good, (bowl, 3, "-0.01")),
        "duplicate-variant": purchase_body(shop, good, (variant, 1, "1.00")),
        "other-shop-variant": purchase_body(shop, good, (other_shop_variant, 1, "1.00")),
        "unknown-variant": {
            **purchase_body(shop, good),
            "items": [
                {"variant": variant.pk, "quantity": 1, "unit_cost": "1.00"},
                {"variant": 999_999, "quantity": 1, "unit_cost": "1.00"},
            ],
        },
        "future-date": purchase_body(
            shop, good, purchased_at=(timezone.localdate() + timedelta(days=1)).isoformat()
        ),
        "no-supplier": purchase_body(shop, good, supplier=""),
        "unknown-shop": {**purchase_body(shop, good), "shop": 999_999},
    }
    before = snapshot()

    response = owner_client.post(PURCHASES, bodies[change], format="json")

    assert_problem(response, 400, "validation_error")
    assert response.json()["errors"]
    assert snapshot() == before
    assert Purchase.objects.count() == 0


@pytest.mark.parametrize("who", ["customer", "other_artisan"])
def test_purchase_needs_membership(request, client_for, shop, variant, who):
    before = snapshot()

    response = client_for(request.getfixturevalue(who)).post(
        PURCHASES, purchase_body(shop, (variant, 2, "1.00")), format="json"
    )

    assert_problem(response, 403, "permission_denied")
    assert snapshot() == before


def test_purchase_list_needs_membership(client_for, customer, other_artisan, shop):
    assert_problem(client_for(customer).get(PURCHASES), 403, "permission_denied")
    assert_problem(
        client_for(other_artisan).get(PURCHASES, {"shop": shop.pk}), 403, "permission_denied"
    )


def test_purchase_delete_reverses_the_stock(owner_client, artisan, shop, variant, bowl):
    pk = owner_client.post(
        PURCHASES, purchase_body(shop, (variant, 10, "1.00"), (bowl, 3, "2.00")), format="json"
    ).json()["id"]

    response = owner_client.delete(purchase_url(pk))

    assert response.status_code == 204
    assert stock(variant) == 5
    assert stock(bowl) == 1
    reference = f"purchase:{pk}"
    assert ledger(variant)[-2:] == [
        (10, "purchase", reference, 15, artisan.pk),
        (-10, "purchase", reference, 5, artisan.pk),
    ]
    assert ledger(bowl)[-1] == (-3, "purchase", reference, 1, artisan.pk)
    assert Purchase.objects.get(pk=pk).reversed_at is not None
    assert_problem(owner_client.get(purchase_url(pk)), 404, "not_found")
    assert owner_client.get(PURCHASES).json()["count"] == 0
    assert ledger_mismatches() == []


def test_reversing_a_purchase_twice_changes_stock_once(owner_client, shop, variant):
    pk = owner_client.post(
        PURCHASES, purchase_body(shop, (variant, 10, "1.00")), format="json"
    ).json()["id"]
    assert owner_client.delete(purchase_url(pk)).status_code == 204
    before = snapshot()

    again = owner_client.delete(purchase_url(pk))

    assert_problem(again, 404, "not_found")
    assert snapshot() == before
    assert stock(variant) == 5


def test_reversing_a_sold_purchase_is_409_and_changes_nothing(
    owner_client, customer, shop, variant, bowl
):
    pk = owner_client.post(
        PURCHASES, purchase_body(shop, (variant, 10, "1.00"), (bowl, 3, "1.00")), format="json"
    ).json()["id"]
    place_order(user=customer, lines=[(variant, 12)])  # 15 -> 3: the purchase's 10 are gone
    before = snapshot()

    response = owner_client.delete(purchase_url(pk))

    assert_problem(response, 409, "insufficient_stock")
    assert response.json()["errors"] == {
        "items": [{"variant": variant.pk, "requested": 10, "available": 3}]
    }
    assert snapshot() == before
    assert Purchase.objects.get(pk=pk).reversed_at is None
    assert stock(variant) == 3
    assert stock(bowl) == 4
    assert ledger_mismatches() == []


@pytest.mark.parametrize("who", ["customer", "other_artisan"])
def test_outsiders_cannot_see_or_reverse_a_purchase(
    request, client_for, owner_client, shop, variant, who
):
    pk = owner_client.post(
        PURCHASES, purchase_body(shop, (variant, 4, "1.00")), format="json"
    ).json()["id"]
    outsider = client_for(request.getfixturevalue(who))
    before = snapshot()

    assert_problem(outsider.get(purchase_url(pk)), 404, "not_found")
    assert_problem(outsider.delete(purchase_url(pk)), 404, "not_found")
    assert snapshot() == before


# --- The shop inventory (cached) --------------------------------------------------------------


def test_shop_inventory_rows(client_for, staff, customer, shop, product, variant):
    place_order(user=customer, lines=[(variant, 2)])

    response = client_for(staff).get(inventory_url(shop.pk))

    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1
    assert response.json()["results"] == [
        {
            "variant": variant.pk,
            "sku": variant.sku,
            "product": {"id": product.pk, "name": product.name},
            "quantity": 3,
            "reserved": 2,
            "low_stock": True,
        }
    ]


def test_shop_inventory_permissions(api_client, client_for, customer, other_artisan, shop):
    url = inventory_url(shop.pk)
    assert_problem(api_client.get(url), 401, "not_authenticated")
    assert_problem(client_for(customer).get(url), 403, "permission_denied")
    assert_problem(client_for(other_artisan).get(url), 403, "permission_denied")
    assert_problem(client_for(customer).get(inventory_url(999_999)), 404, "not_found")


def inventory_queries(client, shop):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(inventory_url(shop.pk))
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in ctx.captured_queries]


def test_second_inventory_read_comes_from_the_cache(owner_client, shop, variant):
    first, first_sql = inventory_queries(owner_client, shop)
    second, second_sql = inventory_queries(owner_client, shop)

    assert second == first
    assert any("catalog_variant" in sql for sql in first_sql)
    assert not any("catalog_variant" in sql for sql in second_sql)
    assert len(second_sql) <= len(first_sql) - 2  # neither the count nor the rows


def test_inventory_cache_is_not_invalidated_without_a_stock_change(owner_client, shop, variant):
    """A write that bypasses the stock services is not seen: the read really is cached (so
    the tests below show invalidation, not an uncached read)."""
    owner_client.get(inventory_url(shop.pk))
    Variant.all_objects.filter(pk=variant.pk).update(quantity=99)

    body, _ = inventory_queries(owner_client, shop)

    assert body["results"][0]["quantity"] == 5


def quantity_seen(client, shop, variant):
    rows = client.get(inventory_url(shop.pk)).json()["results"]
    return next(row["quantity"] for row in rows if row["variant"] == variant.pk)


def _order(ctx):
    ensure_address(ctx["customer"])
    response = order_via_api(ctx["customer_client"], ctx["shop"], ctx["variant"], 2)
    assert response.status_code == 201, response.content


def _cancel(ctx):
    response = ctx["customer_client"].post(f"{ORDERS}{ctx['order'].pk}/cancel/")
    assert response.status_code == 200, response.content


def _expire(ctx):
    assert orders_expire(now=timezone.now() + timedelta(days=1)) == 1


def _purchase(ctx):
    response = ctx["owner_client"].post(
        PURCHASES, purchase_body(ctx["shop"], (ctx["variant"], 6, "1.00")), format="json"
    )
    assert response.status_code == 201, response.content


def _purchase_reverse(ctx):
    assert ctx["owner_client"].delete(purchase_url(ctx["purchase"].pk)).status_code == 204


def _adjust(ctx):
    response = ctx["owner_client"].post(
        ADJUST, {"variant": ctx["variant"].pk, "delta": -4}, format="json"
    )
    assert response.status_code == 201, response.content


def _variant_edit(ctx):
    url = f"/api/products/{ctx['variant'].product_id}/variants/{ctx['variant'].pk}/"
    response = ctx["owner_client"].patch(url, {"quantity": 42}, format="json")
    assert response.status_code == 200, response.content


# change -> (set-up: an order or a purchase to act on, the change, stock seen before, after)
STOCK_CHANGES = {
    "order-placement": (None, _order, 5, 3),
    "order-cancel": ("order", _cancel, 3, 5),
    "order-expiry": ("order", _expire, 3, 5),
    "purchase": (None, _purchase, 5, 11),
    "purchase-reversal": ("purchase", _purchase_reverse, 8, 5),
    "adjustment": (None, _adjust, 5, 1),
    "variant-quantity-edit": (None, _variant_edit, 5, 42),
}


@pytest.mark.parametrize("kind", list(STOCK_CHANGES))
def test_every_stock_change_invalidates_the_cached_inventory(
    client_for,
    owner_client,
    artisan,
    customer,
    shop,
    variant,
    django_capture_on_commit_callbacks,
    kind,
):
    setup, change, before, after = STOCK_CHANGES[kind]
    ctx = {
        "customer": customer,
        "customer_client": client_for(customer),
        "owner_client": owner_client,
        "shop": shop,
        "variant": variant,
    }
    with django_capture_on_commit_callbacks(execute=True):
        if setup == "order":
            ctx["order"] = place_order(user=customer, lines=[(variant, 2)])
        elif setup == "purchase":
            pk = owner_client.post(
                PURCHASES, purchase_body(shop, (variant, 3, "1.00")), format="json"
            ).json()["id"]
            ctx["purchase"] = Purchase.objects.get(pk=pk)
    assert quantity_seen(owner_client, shop, variant) == before  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        change(ctx)

    assert stock(variant) == after
    assert quantity_seen(owner_client, shop, variant) == after
    assert ledger_mismatches() == []


def test_inventory_query_count_holds_as_the_shop_grows(
    owner_client, shop, category, product_factory, variant
):
    _, few = inventory_queries(owner_client, shop)
    for index in range(4):
        product_factory(shop=shop, category=category, name=f"Plate {index}", quantity=index)
    cache.delete_pattern("*")

    body, many = inventory_queries(owner_client, shop)

    assert body["count"] == 5
    assert len(many) == len(few)
