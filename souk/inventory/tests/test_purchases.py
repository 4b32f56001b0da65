"""Purchases (restocks) as the contract states them: `purchased_at` is an ISO 8601 date-time (a
plain date means its midnight UTC).

A refused request changes nothing: no stock, no movement, no purchase row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from souk.catalog.models import Variant
from souk.core.testing import assert_problem
from souk.inventory.models import Purchase, PurchaseItem, StockMovement
from souk.inventory.tests.factories import ledger_mismatches

PURCHASES = "/api/purchases/"


def stock(variant):
    return Variant.all_objects.get(pk=variant.pk).quantity


def snapshot():
    """Everything a refused purchase request must leave alone."""
    return (
        sorted(Variant.all_objects.values_list("pk", "quantity")),
        sorted(StockMovement.objects.values_list("pk", "delta")),
        sorted(Purchase.objects.values_list("pk", "reversed_at")),
        PurchaseItem.objects.count(),
    )


@pytest.fixture
def variant(product):
    """The default variant of `product` (5 in stock)."""
    return product.variants.get()


def purchase_body(shop, variant, **overrides):
    body = {
        "shop": shop.pk,
        "supplier": "Clay & Co",
        "purchased_at": "2024-03-01T10:15:00Z",
        "items": [{"variant": variant.pk, "quantity": 2, "unit_cost": "1.50"}],
    }
    body.update(overrides)
    return body


# --- purchased_at -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        pytest.param(
            "2024-03-01T10:15:00Z", datetime(2024, 3, 1, 10, 15, tzinfo=UTC), id="utc-date-time"
        ),
        pytest.param(
            "2024-03-01T10:15:30+03:30",
            datetime(2024, 3, 1, 6, 45, 30, tzinfo=UTC),
            id="date-time-with-offset",
        ),
        pytest.param(
            "2024-03-01T10:15", datetime(2024, 3, 1, 10, 15, tzinfo=UTC), id="no-offset-is-utc"
        ),
        pytest.param("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC), id="date-is-midnight-utc"),
    ],
)
def test_purchased_at_is_a_date_time(client_for, artisan, shop, variant, sent, stored):
    response = client_for(artisan).post(
        PURCHASES, purchase_body(shop, variant, purchased_at=sent), format="json"
    )

    assert response.status_code == 201, response.content
    purchase = Purchase.objects.get()
    assert purchase.purchased_at == stored
    expected = stored.isoformat().replace("+00:00", "Z")
    assert response.json()["purchased_at"] == expected
    detail = client_for(artisan).get(f"{PURCHASES}{purchase.pk}/")
    assert detail.json()["purchased_at"] == expected
    assert stock(variant) == 7


@pytest.mark.django_db
def test_a_purchase_made_a_moment_ago_is_accepted(client_for, artisan, shop, variant):
    moment = timezone.now().replace(microsecond=0)

    response = client_for(artisan).post(
        PURCHASES,
        purchase_body(shop, variant, purchased_at=moment.isoformat()),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert Purchase.objects.get().purchased_at == moment


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sent",
    [
        pytest.param("2024-02-30", id="no-such-date"),
        pytest.param("01/03/2024", id="not-iso"),
        pytest.param("2024-03-01T25:00:00Z", id="no-such-hour"),
        pytest.param("2024-03-01 junk", id="junk"),
        pytest.param(20240301, id="number"),
        pytest.param(None, id="null"),
        pytest.param("tomorrow", id="word"),
    ],
)
def test_a_malformed_purchased_at_is_400_and_changes_nothing(
    client_for, artisan, shop, variant, sent
):
    before = snapshot()

    response = client_for(artisan).post(
        PURCHASES, purchase_body(shop, variant, purchased_at=sent), format="json"
    )

    assert_problem(response, 400, "validation_error")
    assert list(response.json()["errors"]) == ["purchased_at"]
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ahead",
    [
        pytest.param(timedelta(hours=1), id="an-hour-ahead"),
        pytest.param(timedelta(days=1), id="tomorrow"),
    ],
)
def test_a_purchase_in_the_future_is_400_and_changes_nothing(
    client_for, artisan, shop, variant, ahead
):
    before = snapshot()

    response = client_for(artisan).post(
        PURCHASES,
        purchase_body(shop, variant, purchased_at=(timezone.now() + ahead).isoformat()),
        format="json",
    )

    assert_problem(response, 400, "validation_error")
    assert response.json()["errors"] == {"purchased_at": ["A purchase cannot be in the future."]}
    assert snapshot() == before
    assert ledger_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_migration_turns_stored_dates_into_their_midnight_utc(shop):
    """Purchases recorded while `purchased_at` was a date keep their day, as midnight UTC,
    whatever the time zone of the database session that migrates them."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("inventory")
    executor.migrate([("inventory", "0001_initial")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO inventory_purchase (shop_id, supplier, reference, purchased_at, "
                "created_at, updated_at) VALUES (%s, 'Clay & Co', '', '2024-03-01', now(), now())",
                [shop.pk],
            )
            cursor.execute("SET TIME ZONE 'Asia/Tokyo'")
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        MigrationExecutor(connection).migrate(latest)

    assert list(Purchase.objects.values_list("purchased_at", flat=True)) == [
        datetime(2024, 3, 1, tzinfo=UTC)
    ]


# --- Platform administrators: full powers over every shop's purchases -------------------------


@pytest.fixture(params=["superuser", "staff-only"])
def platform_admin(request, user_factory):
    """A platform administrator (`is_staff`), with or without superuser rights; a member of no
    shop."""
    return user_factory(role="admin", is_staff=True, is_superuser=request.param == "superuser")


@pytest.fixture
def other_variant(other_artisan, product_factory, category):
    from souk.shops.models import Shop

    other_shop = Shop.objects.get(owner=other_artisan)
    return product_factory(shop=other_shop, category=category, name="Jug").variants.get()


def record(client, shop, variant, quantity=4):
    response = client.post(
        PURCHASES,
        {
            "shop": shop.pk,
            "supplier": "Clay & Co",
            "purchased_at": "2024-03-01",
            "items": [{"variant": variant.pk, "quantity": quantity, "unit_cost": "1.00"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.django_db
def test_an_admin_lists_every_shops_purchases_and_filters_by_shop(
    client_for, artisan, other_artisan, platform_admin, shop, variant, other_variant
):
    mine = record(client_for(artisan), shop, variant)
    theirs = record(client_for(other_artisan), other_variant.shop, other_variant)
    admin = client_for(platform_admin)

    every = admin.get(PURCHASES)
    one = admin.get(PURCHASES, {"shop": shop.pk})
    missing = admin.get(PURCHASES, {"shop": other_variant.shop_id + 1000})

    assert every.status_code == 200, every.content
    assert [row["id"] for row in every.json()["results"]] == [theirs, mine]
    assert every.json()["count"] == 2
    assert [row["id"] for row in one.json()["results"]] == [mine]
    assert_problem(missing, 404, "not_found")


@pytest.mark.django_db
def test_an_admin_records_a_purchase_for_any_shop(client_for, platform_admin, shop, variant):
    response = client_for(platform_admin).post(
        PURCHASES, purchase_body(shop, variant), format="json"
    )

    assert response.status_code == 201, response.content
    purchase = Purchase.objects.get()
    assert (purchase.shop_id, purchase.created_by_id) == (shop.pk, platform_admin.pk)
    assert response.json()["created_by"] == platform_admin.pk
    assert stock(variant) == 7
    assert list(
        StockMovement.objects.filter(variant=variant, reason="purchase").values_list(
            "delta", "reference", "actor_id"
        )
    ) == [(2, f"purchase:{purchase.pk}", platform_admin.pk)]
    assert ledger_mismatches() == []


@pytest.mark.django_db
def test_an_admin_may_only_name_the_shops_own_variants(
    client_for, platform_admin, shop, variant, other_variant
):
    before = snapshot()

    response = client_for(platform_admin).post(
        PURCHASES, purchase_body(shop, other_variant), format="json"
    )

    assert_problem(response, 400, "validation_error")
    assert response.json()["errors"] == {"items": [{"variant": ["No such variant in this shop."]}]}
    assert snapshot() == before


@pytest.mark.django_db
def test_an_admin_reads_and_reverses_any_shops_purchase(
    client_for, artisan, platform_admin, shop, variant
):
    pk = record(client_for(artisan), shop, variant)
    admin = client_for(platform_admin)

    detail = admin.get(f"{PURCHASES}{pk}/")
    reversed_ = admin.delete(f"{PURCHASES}{pk}/")

    assert detail.status_code == 200, detail.content
    assert detail.json()["id"] == pk
    assert reversed_.status_code == 204, reversed_.content
    assert stock(variant) == 5
    assert Purchase.objects.get(pk=pk).reversed_at is not None
    assert StockMovement.objects.filter(variant=variant).order_by("-id").values_list(
        "delta", "actor_id"
    )[0] == (-4, platform_admin.pk)
    assert_problem(admin.get(f"{PURCHASES}{pk}/"), 404, "not_found")
    assert ledger_mismatches() == []


@pytest.mark.django_db
def test_an_admin_reversing_a_sold_purchase_is_409_and_changes_nothing(
    client_for, artisan, customer, platform_admin, shop, variant
):
    from souk.orders.tests.factories import place_order

    pk = record(client_for(artisan), shop, variant, quantity=4)
    place_order(user=customer, lines=[(variant, 7)])  # 9 -> 2: the purchase's 4 are gone
    before = snapshot()

    response = client_for(platform_admin).delete(f"{PURCHASES}{pk}/")

    assert_problem(response, 409, "insufficient_stock")
    assert response.json()["errors"] == {
        "items": [{"variant": variant.pk, "requested": 4, "available": 2}]
    }
    assert snapshot() == before
    assert ledger_mismatches() == []


@pytest.mark.django_db
def test_members_still_see_only_their_own_shops_purchases(
    client_for, artisan, other_artisan, staff, shop, variant, other_variant
):
    mine = record(client_for(artisan), shop, variant)
    theirs = record(client_for(other_artisan), other_variant.shop, other_variant)

    listed = client_for(staff).get(PURCHASES)

    assert [row["id"] for row in listed.json()["results"]] == [mine]
    assert_problem(client_for(staff).get(f"{PURCHASES}{theirs}/"), 404, "not_found")
    assert_problem(
        client_for(staff).get(PURCHASES, {"shop": other_variant.shop_id}), 403, "permission_denied"
    )
    before = snapshot()
    assert_problem(client_for(staff).delete(f"{PURCHASES}{theirs}/"), 404, "not_found")
    assert_problem(
        client_for(staff).post(PURCHASES, purchase_body(other_variant.shop, other_variant)),
        403,
        "permission_denied",
    )
    assert snapshot() == before
