"""The low-stock alerts API: the active list (members of the shop, and administrators across
every shop), each alert with a sentence and the variant's stock now; and dismissing a handled
alert, after which the next fall raises a new one.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.catalog.models import Variant
from souk.catalog.tests.factories import make_product
from souk.core.testing import assert_problem
from souk.inventory.models import InventoryAlert, StockMovement
from souk.inventory.services.alerts import alerts_rescan
from souk.inventory.services.caches import alerts_key
from souk.inventory.services.purchases import purchase_create, stock_adjust
from souk.inventory.tests.factories import ledger_mismatches
from souk.notifications.models import Notification, OutboxMessage
from souk.orders.tests.factories import place_order
from souk.shops.models import Shop

ALERTS = "/api/inventory-alerts/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what was deferred to commit (flags, cache bumps, emails) at exit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def variant(product):
    """The default variant of `product`: 5 in stock, threshold 3."""
    return product.variants.get()


@pytest.fixture(params=["superuser", "staff-only"])
def platform_admin(request, user_factory):
    """A platform administrator (`is_staff`), with or without superuser rights; a member of no
    shop."""
    return user_factory(role="admin", is_staff=True, is_superuser=request.param == "superuser")


@pytest.fixture
def other_shop(other_artisan):
    return Shop.objects.get(owner=other_artisan)


def low_variant(shop, category, name, quantity=2):
    """A variant already low, with its active alert (written straight to the database)."""
    variant = make_product(
        shop=shop, category=category, name=name, quantity=quantity
    ).variants.get()
    InventoryAlert.objects.create(shop=shop, variant=variant, quantity=quantity, threshold=3)
    return variant


def listed(client, **params):
    response = client.get(ALERTS, params)
    assert response.status_code == 200, response.content
    return response.json()


# --- The list ---------------------------------------------------------------------------------


def test_an_alert_shows_the_stock_now_and_says_so(
    commit, client_for, artisan, customer, shop, product, variant
):
    with commit():
        place_order(user=customer, lines=[(variant, 3)])  # 5 -> 2: raised at 2
    with commit():
        place_order(user=customer, lines=[(variant, 1)])  # 2 -> 1: still the same alert

    (row,) = listed(client_for(artisan), shop=shop.pk)["results"]

    alert = InventoryAlert.objects.get()
    assert alert.quantity == 2
    assert row["id"] == alert.pk
    assert row["quantity"] == 1
    assert row["threshold"] == 3
    assert row["message"] == f"Only 1 left of {product.name} (SKU {variant.sku}); threshold 3."

    with commit():
        place_order(user=customer, lines=[(variant, 1)])  # 1 -> 0

    (row,) = listed(client_for(artisan), shop=shop.pk)["results"]
    assert row["quantity"] == 0
    assert row["message"] == f"None left of {product.name} (SKU {variant.sku}); threshold 3."


def test_the_list_is_a_standard_page(client_for, artisan, shop, category):
    for name in ("Cup", "Jug", "Vase"):
        low_variant(shop, category, name)

    first = listed(client_for(artisan), shop=shop.pk, page_size=2)
    second = listed(client_for(artisan), shop=shop.pk, page_size=2, page=2)

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == second["count"] == 3
    assert [row["product"]["name"] for row in first["results"]] == ["Vase", "Jug"]
    assert [row["product"]["name"] for row in second["results"]] == ["Cup"]
    assert first["next"].endswith(f"?page=2&page_size=2&shop={shop.pk}")
    assert first["previous"] is None
    assert second["next"] is None


def test_an_admin_lists_every_shops_alerts_or_one_shops(
    client_for, platform_admin, shop, other_shop, category
):
    cup = low_variant(shop, category, "Cup")
    jug = low_variant(other_shop, category, "Jug", quantity=1)
    InventoryAlert.objects.create(
        shop=shop,
        variant=make_product(shop=shop, category=category, name="Old").variants.get(),
        quantity=1,
        threshold=3,
        resolved_at="2024-01-01T00:00:00Z",
    )
    admin = client_for(platform_admin)

    every = listed(admin)
    one = listed(admin, shop=shop.pk)

    assert every["count"] == 2
    assert [(row["shop"], row["variant"], row["quantity"]) for row in every["results"]] == [
        ({"id": other_shop.pk, "name": other_shop.name}, jug.pk, 1),
        ({"id": shop.pk, "name": shop.name}, cup.pk, 2),
    ]
    assert [row["variant"] for row in one["results"]] == [cup.pk]
    assert_problem(admin.get(ALERTS, {"shop": other_shop.pk + 1000}), 404, "not_found")


def test_alerts_of_closed_shops_and_deleted_products_are_not_listed(
    client_for, platform_admin, artisan, other_artisan, shop, other_shop, category
):
    cup = low_variant(shop, category, "Cup")
    low_variant(shop, category, "Bowl")
    low_variant(other_shop, category, "Jug")
    bowl = shop.products.get(name="Bowl")
    assert client_for(artisan).delete(f"/api/products/{bowl.pk}/").status_code == 204
    assert client_for(other_artisan).delete(f"/api/shops/{other_shop.pk}/").status_code == 204

    every = listed(client_for(platform_admin))
    own = listed(client_for(artisan), shop=shop.pk)

    assert [row["variant"] for row in every["results"]] == [cup.pk]
    assert every["count"] == 1
    assert [row["variant"] for row in own["results"]] == [cup.pk]


def test_members_must_name_a_shop_of_theirs(
    api_client, client_for, artisan, staff, customer, other_artisan, shop, other_shop, category
):
    low_variant(shop, category, "Cup")
    low_variant(other_shop, category, "Jug")

    assert [
        row["product"]["name"] for row in listed(client_for(staff), shop=shop.pk)["results"]
    ] == ["Cup"]
    for user in (artisan, staff, customer):
        response = client_for(user).get(ALERTS)
        assert_problem(response, 400, "validation_error")
        assert response.json()["errors"] == {"shop": ["This field is required."]}
    for user in (artisan, staff, customer):
        assert_problem(
            client_for(user).get(ALERTS, {"shop": other_shop.pk}), 403, "permission_denied"
        )
    assert_problem(api_client.get(ALERTS), 401, "not_authenticated")


def alert_list_queries(client, **params):
    with CaptureQueriesContext(connection) as ctx:
        body = listed(client, **params)
    return body["count"], len(ctx.captured_queries)


@pytest.mark.parametrize("as_admin", [True, False], ids=["admin-every-shop", "member-one-shop"])
def test_alert_list_query_count_holds_as_the_page_grows(
    client_for, artisan, admin_user, shop, other_shop, category, as_admin
):
    client = client_for(admin_user if as_admin else artisan)
    params = {} if as_admin else {"shop": shop.pk}
    low_variant(shop, category, "Cup")
    listed(client, **params)  # the first request of a user fills the cached auth state
    cache.delete(alerts_key(shop.pk))
    one, small = alert_list_queries(client, **params)

    for index in range(8):
        low_variant(shop, category, f"Bowl {index}")
        low_variant(other_shop, category, f"Plate {index}")
    cache.delete(alerts_key(shop.pk))
    many, large = alert_list_queries(client, **params)

    assert one == 1
    assert many == (17 if as_admin else 9)
    assert large == small


# --- Dismissing -------------------------------------------------------------------------------


def alert_url(pk):
    return f"{ALERTS}{pk}/"


def alert_open(variant):
    """Whether `variant` has an unresolved alert (what the next stock change of it sees)."""
    return InventoryAlert.objects.filter(variant=variant, resolved_at__isnull=True).exists()


def stock(variant):
    return Variant.all_objects.get(pk=variant.pk).quantity


def alerts(variant):
    """(quantity, resolved?, dismissed by) of every alert of `variant`, oldest first."""
    return [
        (a.quantity, a.resolved_at is not None, a.dismissed_by_id)
        for a in InventoryAlert.objects.filter(variant=variant).order_by("id")
    ]


def state():
    """Every row a refused dismissal must leave alone."""
    return (
        sorted(
            InventoryAlert.objects.values_list(
                "pk", "resolved_at", "dismissed_at", "dismissed_by_id"
            )
        ),
        sorted(OutboxMessage.objects.values_list("pk", "status")),
        Notification.objects.count(),
        sorted(Variant.all_objects.values_list("pk", "quantity")),
        StockMovement.objects.count(),
    )


def low_stock_mails():
    return [m for m in mail.outbox if m.subject.startswith("Low stock")]


@pytest.fixture
def raised(commit, customer, variant):
    """`variant` sold down to 2: its alert is active."""
    with commit():
        place_order(user=customer, lines=[(variant, 3)])
    alert = InventoryAlert.objects.get(variant=variant, resolved_at__isnull=True)
    assert alert_open(variant)
    return alert


def test_a_member_dismisses_a_handled_alert_which_is_kept_and_resolved(
    commit, client_for, staff, shop, variant, raised
):
    client = client_for(staff)
    assert [row["id"] for row in listed(client, shop=shop.pk)["results"]] == [raised.pk]
    movements = StockMovement.objects.count()

    with commit():
        response = client.delete(alert_url(raised.pk))

    assert response.status_code == 204, response.content
    assert response.content == b""
    alert = InventoryAlert.objects.get(pk=raised.pk)
    assert alert.resolved_at is not None
    assert alert.dismissed_at == alert.resolved_at
    assert alert.dismissed_by_id == staff.pk
    assert listed(client, shop=shop.pk)["results"] == []
    assert stock(variant) == 2
    assert StockMovement.objects.count() == movements


def test_dismissing_resolves_the_alert_so_the_next_fall_raises_a_new_one(
    commit, client_for, artisan, customer, shop, variant, raised
):
    with commit():
        assert client_for(artisan).delete(alert_url(raised.pk)).status_code == 204

    assert not alert_open(variant)

    with commit():
        place_order(user=customer, lines=[(variant, 1)])  # 2 -> 1: a fall

    assert alerts(variant) == [(2, True, artisan.pk), (1, False, None)]
    assert alert_open(variant)
    (row,) = listed(client_for(artisan), shop=shop.pk)["results"]
    assert (row["variant"], row["quantity"]) == (variant.pk, 1)
    assert row["id"] != raised.pk
    assert len(low_stock_mails()) == 2
    assert ledger_mismatches() == []


def test_after_a_dismissal_a_restock_that_stays_low_raises_nothing_but_a_fall_does(
    commit, client_for, artisan, customer, shop, variant, raised
):
    with commit():
        client_for(artisan).delete(alert_url(raised.pk))

    with commit():
        purchase_create(
            actor=artisan,
            shop=shop,
            supplier="Clay & Co",
            purchased_at=date(2024, 3, 1),
            items=[{"variant": variant.pk, "quantity": 1, "unit_cost": "1.00"}],
        )  # 2 -> 3: still low, but no fall

    assert stock(variant) == 3
    assert alerts(variant) == [(2, True, artisan.pk)]
    assert not alert_open(variant)

    with commit():
        stock_adjust(actor=artisan, variant_id=variant.pk, delta=-1, note="chipped")  # 3 -> 2

    assert alerts(variant) == [(2, True, artisan.pk), (2, False, None)]
    assert alert_open(variant)


def test_the_rescan_leaves_a_dismissed_alert_alone_until_the_next_fall(
    commit, client_for, artisan, variant, raised
):
    with commit():
        client_for(artisan).delete(alert_url(raised.pk))

    with commit():
        assert alerts_rescan() == (0, 0)

    assert alerts(variant) == [(2, True, artisan.pk)]

    # A fall whose alert was missed (as when the transaction's alert step was skipped):
    Variant.all_objects.filter(pk=variant.pk).update(quantity=1)
    StockMovement.objects.create(
        variant=variant,
        shop_id=variant.shop_id,
        delta=-1,
        reason=StockMovement.Reason.ADJUSTMENT,
        reference="raw",
        quantity_after=1,
    )
    with commit():
        assert alerts_rescan() == (1, 0)

    assert alerts(variant) == [(2, True, artisan.pk), (1, False, None)]
    assert ledger_mismatches() == []


def test_an_admin_dismisses_any_shops_alert(commit, client_for, platform_admin, shop, raised):
    with commit():
        response = client_for(platform_admin).delete(alert_url(raised.pk))

    assert response.status_code == 204, response.content
    assert InventoryAlert.objects.get(pk=raised.pk).dismissed_by_id == platform_admin.pk
    assert listed(client_for(platform_admin))["results"] == []


@pytest.mark.parametrize("who", ["customer", "other_artisan"])
def test_an_outsider_cannot_see_the_alert_to_dismiss_it(request, client_for, variant, raised, who):
    before = state()

    response = client_for(request.getfixturevalue(who)).delete(alert_url(raised.pk))

    assert_problem(response, 404, "not_found")
    assert state() == before
    assert alert_open(variant)


def test_dismissing_without_credentials_is_401(api_client, raised):
    before = state()

    assert_problem(api_client.delete(alert_url(raised.pk)), 401, "not_authenticated")
    assert state() == before


def test_a_resolved_or_unknown_alert_is_404(commit, client_for, artisan, raised):
    owner = client_for(artisan)
    with commit():
        assert owner.delete(alert_url(raised.pk)).status_code == 204
    before = state()

    assert_problem(owner.delete(alert_url(raised.pk)), 404, "not_found")
    assert_problem(owner.delete(alert_url(raised.pk + 1000)), 404, "not_found")
    assert state() == before
