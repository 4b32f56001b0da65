"""Low-stock alerts: raised once when a variant falls to LOW_STOCK_THRESHOLD or below, emailed
through the outbox after commit to each of the shop's members and each platform admin alone,
resolved when stock rises above the threshold again, and kept right by the hourly rescan. Redis
only speeds the dedupe and the reads up: without it (or with its notes lost) the database still
holds exactly one active alert per low variant.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from souk.catalog.models import Variant
from souk.core.testing import assert_problem
from souk.inventory import tasks
from souk.inventory.models import InventoryAlert, StockMovement
from souk.inventory.services.alerts import alerts_rescan, alerts_update
from souk.inventory.services.purchases import stock_adjust
from souk.inventory.tests.factories import ledger_mismatches
from souk.notifications.models import Kind, OutboxMessage
from souk.notifications.tasks import outbox_dispatch_task
from souk.orders.models import Order
from souk.orders.services.lifecycle import order_cancel, orders_expire
from souk.orders.tests.factories import ensure_address, place_order
from souk.shops.models import Shop

ALERTS = "/api/inventory-alerts/"
ADJUST = "/api/inventory/adjustments/"
PURCHASES = "/api/purchases/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(product):
    """The default variant of `product`: 5 in stock, threshold 3."""
    return product.variants.get()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what was deferred to commit (flags, cache bumps, emails) at exit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def stock(variant):
    return Variant.all_objects.get(pk=variant.pk).quantity


def alerts(variant):
    """(quantity, threshold, resolved?) of every alert of `variant`, oldest first."""
    return [
        (a.quantity, a.threshold, a.resolved_at is not None)
        for a in InventoryAlert.objects.filter(variant=variant).order_by("id")
    ]


def low_stock_mails():
    return [m for m in mail.outbox if m.subject.startswith("Low stock")]


def low_stock_recipients():
    """The recipient of each low-stock email sent, sorted (each email has one)."""
    return sorted(address for m in low_stock_mails() for address in m.to)


def low_stock_outbox():
    """(recipient's email, status, attempts) of each low-stock message in the outbox."""
    return sorted(
        OutboxMessage.objects.filter(kind=Kind.LOW_STOCK).values_list(
            "recipient__email", "status", "attempts"
        )
    )


def raw_stock(variant, quantity):
    """Move stock behind the services' back (as a bulk import or a repair script might), with
    a ledger row so the ledger still holds; no alert is touched."""
    old = stock(variant)
    Variant.all_objects.filter(pk=variant.pk).update(quantity=quantity)
    StockMovement.objects.create(
        variant=variant,
        shop_id=variant.shop_id,
        delta=quantity - old,
        reason=StockMovement.Reason.ADJUSTMENT,
        reference="raw",
        quantity_after=quantity,
    )


# --- Raising once -----------------------------------------------------------------------------


def test_falling_to_the_threshold_raises_one_alert(commit, customer, shop, variant):
    with commit():
        place_order(user=customer, lines=[(variant, 1)])  # 5 -> 4: above 3
    assert alerts(variant) == []

    with commit():
        place_order(user=customer, lines=[(variant, 1)])  # 4 -> 3: at the threshold

    alert = InventoryAlert.objects.get()
    assert (alert.shop_id, alert.variant_id, alert.quantity, alert.threshold) == (
        shop.pk,
        variant.pk,
        3,
        3,
    )
    assert alert.resolved_at is None
    assert ledger_mismatches() == []


def test_no_duplicate_while_it_stays_low(commit, customer, variant):
    with commit():
        place_order(user=customer, lines=[(variant, 2)])  # 3
    with commit():
        place_order(user=customer, lines=[(variant, 1)])  # 2
    with commit():
        place_order(user=customer, lines=[(variant, 2)])  # 0

    assert stock(variant) == 0
    assert alerts(variant) == [(3, 3, False)]
    assert len(low_stock_mails()) == 1


def test_rising_but_staying_low_keeps_the_alert(commit, artisan, customer, variant):
    with commit():
        place_order(user=customer, lines=[(variant, 4)])  # 1
    with commit():
        stock_adjust(actor=artisan, variant_id=variant.pk, delta=2)  # 3: still low

    assert alerts(variant) == [(1, 3, False)]


def test_threshold_comes_from_settings(settings, commit, customer, variant):
    settings.LOW_STOCK_THRESHOLD = 1
    with commit():
        place_order(user=customer, lines=[(variant, 3)])  # 2: fine at threshold 1
    assert alerts(variant) == []

    with commit():
        place_order(user=customer, lines=[(variant, 1)])  # 1

    assert alerts(variant) == [(1, 1, False)]


def test_one_sale_of_several_low_variants_raises_one_alert_each(
    commit, customer, shop, category, product_factory
):
    product = product_factory(
        shop=shop,
        category=category,
        name="Vase",
        variants=[{"price": "9.00", "quantity": 4}, {"price": "9.00", "quantity": 10}],
    )
    small, large = product.variants.order_by("pk")

    with commit():
        place_order(user=customer, lines=[(small, 2), (large, 8)])

    assert alerts(small) == [(2, 3, False)]
    assert alerts(large) == [(2, 3, False)]
    assert InventoryAlert.objects.count() == 2


# --- Emails -----------------------------------------------------------------------------------


def test_members_and_admins_are_emailed_once_each_after_commit(
    commit, artisan, staff, admin_user, customer, shop, variant
):
    told = sorted([artisan.email, staff.email, admin_user.email])
    with commit() as callbacks:
        place_order(user=customer, lines=[(variant, 3)])
        assert low_stock_mails() == []  # nothing leaves before the commit
        # the messages were written in the sale's transaction
        assert low_stock_outbox() == [(email, "pending", 0) for email in told]
    assert callbacks

    messages = low_stock_mails()
    assert sorted(m.to for m in messages) == [[email] for email in told]
    for message in messages:
        assert message.subject == f"Low stock in {shop.name}"
        assert (message.cc, message.bcc) == ([], [])
        assert variant.sku in message.body
        assert "2 left" in message.body
    assert customer.email not in low_stock_recipients()
    assert low_stock_outbox() == [(email, "sent", 1) for email in told]

    with commit():
        place_order(user=customer, lines=[(variant, 1)])
    assert len(low_stock_mails()) == 3


def test_running_the_dispatcher_again_sends_no_alert_twice(commit, artisan, customer, variant):
    with commit():
        place_order(user=customer, lines=[(variant, 3)])
    assert low_stock_recipients() == [artisan.email]

    assert outbox_dispatch_task.apply().get() == {
        "sent": 0,
        "retried": 0,
        "dead": 0,
        "skipped": 0,
    }
    assert low_stock_recipients() == [artisan.email]
    assert low_stock_outbox() == [(artisan.email, "sent", 1)]


class Boom(Exception):
    pass


def test_rolled_back_sale_raises_and_sends_nothing(commit, customer, variant):
    seen_inside = []

    def sell_then_fail():
        with transaction.atomic():
            place_order(user=customer, lines=[(variant, 4)])
            seen_inside.append(InventoryAlert.objects.count())
            raise Boom

    with commit() as callbacks, pytest.raises(Boom):
        sell_then_fail()

    assert seen_inside == [1]
    assert callbacks == []
    assert InventoryAlert.objects.count() == 0
    assert stock(variant) == 5
    assert mail.outbox == []
    assert ledger_mismatches() == []


# --- Resolving --------------------------------------------------------------------------------


def _rise_by_purchase(ctx):
    response = ctx["owner"].post(
        PURCHASES,
        {
            "shop": ctx["shop"].pk,
            "supplier": "Clay & Co",
            "purchased_at": timezone.localdate().isoformat(),
            "items": [{"variant": ctx["variant"].pk, "quantity": 5, "unit_cost": "1.00"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content


def _rise_by_adjustment(ctx):
    response = ctx["owner"].post(ADJUST, {"variant": ctx["variant"].pk, "delta": 5}, format="json")
    assert response.status_code == 201, response.content


def _rise_by_cancel(ctx):
    order_cancel(order_id=ctx["order"].pk, actor=ctx["customer"])


@pytest.mark.parametrize(
    "rise",
    [
        pytest.param(_rise_by_purchase, id="purchase"),
        pytest.param(_rise_by_adjustment, id="adjustment"),
        pytest.param(_rise_by_cancel, id="cancel"),
    ],
)
def test_alert_resolves_above_the_threshold_and_is_raised_again(
    commit, client_for, artisan, customer, shop, variant, rise
):
    with commit():
        order = place_order(user=customer, lines=[(variant, 4)])  # 1
    ctx = {
        "owner": client_for(artisan),
        "shop": shop,
        "variant": variant,
        "order": order,
        "customer": customer,
    }

    with commit():
        rise(ctx)

    assert stock(variant) > 3
    assert alerts(variant) == [(1, 3, True)]
    assert client_for(artisan).get(ALERTS, {"shop": shop.pk}).json()["results"] == []

    with commit():
        place_order(user=customer, lines=[(variant, stock(variant) - 2)])  # 2

    assert alerts(variant) == [(1, 3, True), (2, 3, False)]
    assert len(low_stock_mails()) == 2
    assert ledger_mismatches() == []


# --- The alerts list (cached) -----------------------------------------------------------------


def test_alert_list_rows(commit, client_for, staff, customer, shop, product, variant):
    with commit():
        place_order(user=customer, lines=[(variant, 3)])
    alert = InventoryAlert.objects.get()

    response = client_for(staff).get(ALERTS, {"shop": shop.pk})

    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1
    (row,) = response.json()["results"]
    assert row == {
        "id": alert.pk,
        "shop": {"id": shop.pk, "name": shop.name},
        "product": {"id": product.pk, "name": product.name},
        "variant": variant.pk,
        "sku": variant.sku,
        "quantity": 2,
        "threshold": 3,
        "message": f"Only 2 left of {product.name} (SKU {variant.sku}); threshold 3.",
        "created_at": row["created_at"],
    }
    assert row["created_at"].endswith("Z")


def test_alert_list_permissions(api_client, client_for, customer, other_artisan, shop):
    assert_problem(api_client.get(ALERTS, {"shop": shop.pk}), 401, "not_authenticated")
    assert_problem(client_for(customer).get(ALERTS, {"shop": shop.pk}), 403, "permission_denied")
    assert_problem(
        client_for(other_artisan).get(ALERTS, {"shop": shop.pk}), 403, "permission_denied"
    )
    owner = client_for(shop.owner)
    assert_problem(owner.get(ALERTS), 400, "validation_error")
    assert_problem(owner.get(ALERTS, {"shop": "x"}), 400, "validation_error")
    assert_problem(owner.get(ALERTS, {"shop": 999_999}), 404, "not_found")


def test_other_shops_alerts_are_not_listed(
    commit, client_for, artisan, other_artisan, customer, category, product_factory, variant
):
    other_shop = Shop.objects.get(owner=other_artisan)
    other = product_factory(shop=other_shop, category=category, name="Jug").variants.get()
    with commit():
        place_order(user=customer, lines=[(other, 4)])

    response = client_for(artisan).get(ALERTS, {"shop": variant.shop_id})

    assert response.json()["results"] == []
    assert InventoryAlert.objects.filter(shop=other_shop).count() == 1


def alert_queries(client, shop):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(ALERTS, {"shop": shop.pk})
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in ctx.captured_queries]


def test_alert_list_is_cached_and_invalidated_by_a_stock_change(
    commit, client_for, artisan, customer, shop, variant
):
    owner = client_for(artisan)
    with commit():
        place_order(user=customer, lines=[(variant, 3)])

    first, first_sql = alert_queries(owner, shop)
    second, second_sql = alert_queries(owner, shop)

    assert [row["variant"] for row in first["results"]] == [variant.pk]
    assert second == first
    assert any("inventory_inventoryalert" in sql for sql in first_sql)
    assert not any("inventory_inventoryalert" in sql for sql in second_sql)
    assert len(second_sql) < len(first_sql)

    with commit():
        assert owner.post(ADJUST, {"variant": variant.pk, "delta": 4}, format="json").status_code
    third, third_sql = alert_queries(owner, shop)

    assert third["results"] == []
    assert any("inventory_inventoryalert" in sql for sql in third_sql)


# --- The hourly rescan ------------------------------------------------------------------------


def test_rescan_raises_missing_alerts_and_emails_them(commit, artisan, staff, shop, variant):
    raw_stock(variant, 1)
    assert alerts(variant) == []

    with commit():
        assert tasks.alerts_rescan_task() == (1, 0)

    assert alerts(variant) == [(1, 3, False)]
    assert low_stock_recipients() == sorted([artisan.email, staff.email])
    assert ledger_mismatches() == []


def test_rescan_resolves_stale_alerts(commit, customer, variant):
    with commit():
        place_order(user=customer, lines=[(variant, 4)])
    raw_stock(variant, 9)

    with commit():
        assert tasks.alerts_rescan_task() == (0, 1)

    assert alerts(variant) == [(1, 3, True)]


def test_rescan_names_what_it_raised_and_what_it_resolved(
    commit, customer, shop, category, product_factory, variant
):
    with commit():
        place_order(user=customer, lines=[(variant, 4)])
    raw_stock(variant, 9)
    low = product_factory(shop=shop, category=category, name="Bowl", quantity=2).variants.get()

    with commit():
        result = alerts_rescan()

    assert (result.raised, result.resolved) == (1, 1)
    assert alerts(variant) == [(1, 3, True)]
    assert alerts(low) == [(2, 3, False)]


def test_rescan_twice_changes_nothing_the_second_time(
    commit, customer, shop, category, product_factory, variant
):
    high = product_factory(shop=shop, category=category, name="Bowl", quantity=2).variants.get()
    with commit():
        assert tasks.alerts_rescan_task() == (1, 0)  # the bowl opened with 2
    raw_stock(variant, 0)
    raw_stock(high, 8)

    with commit():
        first = tasks.alerts_rescan_task()
    with commit():
        second = tasks.alerts_rescan_task()

    assert first == (1, 1)
    assert second == (0, 0)
    assert alerts(variant) == [(0, 3, False)]
    assert alerts(high) == [(2, 3, True)]
    assert len(low_stock_mails()) == 2


def test_rescan_ignores_deleted_products(commit, shop, product, variant):
    raw_stock(variant, 0)
    product.deleted_at = timezone.now()
    product.save(update_fields=["deleted_at"])

    with commit():
        assert tasks.alerts_rescan_task() == (0, 0)

    assert alerts(variant) == []


def test_rescan_invalidates_the_cached_alert_list(commit, client_for, artisan, shop, variant):
    owner = client_for(artisan)
    assert owner.get(ALERTS, {"shop": shop.pk}).json()["results"] == []  # cached, empty
    raw_stock(variant, 2)

    with commit():
        tasks.alerts_rescan_task()

    rows = owner.get(ALERTS, {"shop": shop.pk}).json()["results"]
    assert [row["variant"] for row in rows] == [variant.pk]


def test_a_fall_after_the_rescan_resolved_an_alert_raises_a_new_one(commit, customer, variant):
    with commit():
        place_order(user=customer, lines=[(variant, 4)])  # 1: alert
    raw_stock(variant, 9)
    with commit():
        assert tasks.alerts_rescan_task() == (0, 1)

    with commit():
        place_order(user=customer, lines=[(variant, 7)])  # 2: low again

    assert alerts(variant) == [(1, 3, True), (2, 3, False)]
    assert len(low_stock_mails()) == 2


def test_beat_schedule_runs_the_rescan_hourly_and_expires_orders():
    from config.celery import app

    schedule = django_settings.CELERY_BEAT_SCHEDULE
    by_task = {entry["task"]: entry["schedule"] for entry in schedule.values()}

    rescan = by_task["souk.inventory.tasks.alerts_rescan"]
    assert isinstance(rescan, crontab)
    assert len(rescan.minute) == 1
    assert rescan.hour == set(range(24))
    assert rescan.day_of_week == set(range(7))
    assert "souk.orders.tasks.orders_expire" in by_task
    app.loader.import_default_modules()
    assert "souk.inventory.tasks.alerts_rescan" in app.tasks
    assert "souk.orders.tasks.orders_expire" in app.tasks


# --- Dedupe under the variant's lock and in the database ---------------------------------------


def test_without_the_locked_alert_state_the_database_still_keeps_one_alert(
    commit, customer, variant
):
    with commit():
        place_order(user=customer, lines=[(variant, 3)])

    with commit():
        place_order(user=customer, lines=[(variant, 1)])
    fresh = Variant.all_objects.get(pk=variant.pk)
    with commit():
        assert alerts_update(variants=[fresh]) == []  # alert state not known: the index decides

    assert alerts(variant) == [(2, 3, False)]
    assert len(low_stock_mails()) == 1


def test_a_raised_alert_read_under_the_lock_spares_the_insert_while_it_stays_low(
    commit, customer, variant
):
    with commit():
        place_order(user=customer, lines=[(variant, 3)])  # 2: raised

    with CaptureQueriesContext(connection) as ctx, commit():
        place_order(user=customer, lines=[(variant, 1)])

    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if "inventory_inventoryalert" in q["sql"] and "FOR NO KEY UPDATE" not in q["sql"]
    ]
    assert writes == []
    assert alerts(variant) == [(2, 3, False)]


def test_a_sale_that_leaves_the_stock_high_writes_no_alert_statement(commit, customer, variant):
    with CaptureQueriesContext(connection) as ctx, commit():
        place_order(user=customer, lines=[(variant, 1)])  # 5 -> 4: above the threshold

    touching = [q["sql"] for q in ctx.captured_queries if "inventory_inventoryalert" in q["sql"]]
    assert len(touching) == 1  # only the lock, which reads whether an alert is raised
    assert "FOR NO KEY UPDATE" in touching[0]
    assert alerts(variant) == []


def test_database_refuses_a_second_active_alert(commit, customer, shop, variant):
    with commit():
        place_order(user=customer, lines=[(variant, 3)])

    with pytest.raises(IntegrityError), transaction.atomic():
        InventoryAlert.objects.create(shop=shop, variant=variant, quantity=2, threshold=3)

    InventoryAlert.objects.update(resolved_at=timezone.now())
    InventoryAlert.objects.create(shop=shop, variant=variant, quantity=2, threshold=3)
    assert InventoryAlert.objects.filter(resolved_at__isnull=True).count() == 1


# --- Redis down -------------------------------------------------------------------------------

REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here: connection refused
        "KEY_PREFIX": "souk-test-down",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
        },
    }
}


def test_with_redis_down_an_order_succeeds_and_the_alert_lands(
    commit, client_for, artisan, staff, customer, shop, variant
):
    ensure_address(customer)
    buyer = client_for(customer)
    owner = client_for(artisan)

    with override_settings(CACHES=REDIS_DOWN):
        with pytest.raises(RedisConnectionError):
            cache.get("probe")  # the cache really is unreachable
        with commit():
            response = buyer.post(
                "/api/orders/",
                {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 3}]},
                format="json",
            )
        with commit():
            again = buyer.post(
                "/api/orders/",
                {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 1}]},
                format="json",
            )
        listed = owner.get(ALERTS, {"shop": shop.pk})
        inventory = owner.get(f"/api/shops/{shop.pk}/inventory/")

    assert response.status_code == 201, response.content
    assert again.status_code == 201, again.content
    assert Order.objects.filter(customer=customer).count() == 2
    assert stock(variant) == 1
    assert alerts(variant) == [(2, 3, False)]  # the database alone kept it to one
    assert low_stock_recipients() == sorted([artisan.email, staff.email])
    assert listed.status_code == 200
    assert [row["variant"] for row in listed.json()["results"]] == [variant.pk]
    assert inventory.status_code == 200
    assert inventory.json()["results"][0]["quantity"] == 1
    assert ledger_mismatches() == []


def test_with_redis_down_the_rescan_still_runs(commit, variant):
    raw_stock(variant, 0)

    with override_settings(CACHES=REDIS_DOWN), commit():
        assert tasks.alerts_rescan_task() == (1, 0)

    assert alerts(variant) == [(0, 3, False)]
    assert len(low_stock_mails()) == 1


def test_expiry_that_lifts_stock_resolves_the_alert(commit, customer, variant):
    with commit():
        order = place_order(user=customer, lines=[(variant, 4)])
    with commit():
        assert orders_expire(now=timezone.now() + timedelta(days=1)) == 1

    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED
    assert alerts(variant) == [(1, 3, True)]


def test_a_redis_outage_during_a_restock_delays_the_next_alert_at_most_to_the_rescan(
    commit, artisan, customer, variant
):
    """The restock resolves the alert in the database while its Redis note cannot be
    removed; whatever that note does to the next fall, the hourly rescan leaves exactly one
    active alert."""
    with commit():
        place_order(user=customer, lines=[(variant, 4)])  # 1
    with override_settings(CACHES=REDIS_DOWN), commit():
        stock_adjust(actor=artisan, variant_id=variant.pk, delta=8)  # 9
    assert alerts(variant) == [(1, 3, True)]

    with commit():
        place_order(user=customer, lines=[(variant, 7)])  # 2
    with commit():
        tasks.alerts_rescan_task()

    assert alerts(variant) == [(1, 3, True), (2, 3, False)]
    assert len(low_stock_mails()) == 2
    assert ledger_mismatches() == []


# --- A change that waited for another one on the same variant --------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("threads")
def test_a_restock_that_waited_for_a_sale_raising_an_alert_resolves_it(customer, artisan, variant):
    """The lock's alert flag comes from the snapshot taken before the wait (only the variant
    row is read again): the restock saw no alert, but it crosses the threshold, so the
    database decides and the sale's alert is resolved."""
    import threading

    from django.db import connection as db

    from souk.core.tests.threads import run_together
    from souk.inventory.locks import variants_lock
    from souk.inventory.services.stock import StockChange, stock_apply

    sold = threading.Event()
    release = threading.Event()

    def sale() -> None:
        try:
            with transaction.atomic():
                locked = variants_lock([variant.pk])
                stock_apply(
                    changes=[StockChange(variant.pk, -3)],  # 5 -> 2: an alert is raised
                    reason=StockMovement.Reason.SALE,
                    actor=customer,
                    locked=locked,
                )
                sold.set()
                release.wait(10)
        finally:
            db.close()

    def restock() -> None:
        try:
            assert sold.wait(10)
            threading.Timer(0.5, release.set).start()  # the sale commits while we wait
            stock_adjust(actor=artisan, variant_id=variant.pk, delta=5, note="found")  # 2 -> 7
        finally:
            db.close()

    run_together([sale, restock])

    assert stock(variant) == 7
    assert alerts(variant) == [(2, 3, True)]  # raised by the sale, resolved by the restock


def test_a_quiet_rescan_invalidates_nothing_and_warns_nothing(commit, variant, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="souk.inventory.services.caches"), commit():
        assert alerts_rescan() == (0, 0)

    assert caplog.records == []
