"""The rollups (`ShopDay`, shop x day, and `ProductMonth`, product x month): kept in the
transaction of every payment and every cancellation after payment, checked by
`rollup_reconcile`, rebuilt by the migrations' backfills, and always equal to a recomputation
from the orders."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from souk.analytics.models import ProductMonth, ShopDay
from souk.analytics.services.rollup import Reconciled, rollup_reconcile
from souk.catalog.models import Variant
from souk.core.tests.threads import run_together
from souk.orders.models import Order
from souk.orders.services.cart import cart_item_add
from souk.orders.services.lifecycle import (
    order_cancel,
    order_mark_paid,
    order_pay_late,
    order_transition,
    orders_expire,
)
from souk.orders.services.placement import checkout_place
from souk.orders.tests.factories import ensure_address, place_order

ZERO = Decimal("0.00")
# revenue, orders, units, refunded, refunded_orders
Figures = tuple[Decimal, int, int, Decimal, int]
REVENUE_STATUSES = ("paid", "processing", "shipped", "delivered")


def truth() -> dict[tuple[int, date], Figures]:
    """The rollup recomputed in Python from every order (soft-deleted ones too)."""
    rows: dict[tuple[int, date], Figures] = {}
    orders = Order.all_objects.filter(paid_at__isnull=False).prefetch_related("items")
    for order in orders:
        if order.status not in (*REVENUE_STATUSES, "cancelled"):
            continue
        assert order.paid_at is not None
        key = (order.shop_id, order.paid_at.astimezone(UTC).date())
        revenue, count, units, refunded, refunded_orders = rows.get(key, (ZERO, 0, 0, ZERO, 0))
        if order.status == "cancelled":
            refunded, refunded_orders = refunded + order.total, refunded_orders + 1
        else:
            revenue, count = revenue + order.total, count + 1
            units += sum(item.quantity for item in order.items.all())
        rows[key] = (revenue, count, units, refunded, refunded_orders)
    return rows


def rollup(*, keep_empty: bool = False) -> dict[tuple[int, date], Figures]:
    """The rollup's rows (a row that the nightly check zeroed says the same as no row)."""
    rows = {
        (row.shop_id, row.day): (
            row.revenue,
            row.orders,
            row.units,
            row.refunded,
            row.refunded_orders,
        )
        for row in ShopDay.objects.all()
    }
    if keep_empty:
        return rows
    return {key: figures for key, figures in rows.items() if figures != (ZERO, 0, 0, ZERO, 0)}


def month_truth() -> dict[tuple[int, date, int], tuple[Decimal, int]]:
    """The product x month rollup recomputed in Python: (shop, month, product) -> (revenue net
    of discounts, units) of the lines of revenue orders."""
    rows: dict[tuple[int, date, int], tuple[Decimal, int]] = {}
    orders = Order.all_objects.filter(paid_at__isnull=False).prefetch_related("items")
    for order in orders:
        if order.status not in REVENUE_STATUSES:
            continue
        assert order.paid_at is not None
        month = order.paid_at.astimezone(UTC).date().replace(day=1)
        for item in order.items.all():
            key = (order.shop_id, month, item.product_id)
            revenue, units = rows.get(key, (ZERO, 0))
            rows[key] = (revenue + item.net_total, units + item.quantity)
    return rows


def month_rollup(*, keep_empty: bool = False) -> dict[tuple[int, date, int], tuple[Decimal, int]]:
    rows = {
        (row.shop_id, row.month, row.product_id): (row.revenue, row.units)
        for row in ProductMonth.objects.all()
    }
    if keep_empty:
        return rows
    return {key: figures for key, figures in rows.items() if figures != (ZERO, 0)}


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def stocked(product_factory: Any, shop: Any, category: Any, price: str, name: str) -> Variant:
    product = product_factory(shop=shop, category=category, name=name, price=price, quantity=500)
    return product.variants.get()


def refreshed(order: Order) -> Order:
    return Order.all_objects.get(pk=order.pk)


class Abandoned(Exception):
    pass


def pay_then_roll_back(order: Order) -> None:
    """The order is paid, then something later in the same transaction fails."""
    with transaction.atomic():
        assert order_mark_paid(order_id=order.pk) is True
        raise Abandoned


# --- Payments and cancellations ------------------------------------------------------------------


@pytest.mark.django_db
def test_paying_an_order_adds_it_to_its_shops_day(customer, shop, product_factory, category):
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    bowl = stocked(product_factory, shop, category, "7.50", "Bowl")
    order = place_order(user=customer, lines=[(mug, 2), (bowl, 3)])
    assert ShopDay.objects.count() == 0

    assert order_mark_paid(order_id=order.pk) is True

    assert rollup(keep_empty=True) == {
        (shop.pk, today()): (Decimal("62.50"), 1, 5, ZERO, 0),
    }


@pytest.mark.django_db
def test_payments_add_up_on_the_day_they_were_paid_in_utc(
    customer, shop, product_factory, category
):
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    orders = [place_order(user=customer, lines=[(mug, n)]) for n in (1, 2, 3)]
    yesterday = today() - timedelta(days=1)
    late_evening = datetime.combine(yesterday, datetime.max.time(), tzinfo=UTC)
    with time_machine.travel(late_evening - timedelta(seconds=1), tick=False):
        order_mark_paid(order_id=orders[0].pk)
    with time_machine.travel(late_evening + timedelta(seconds=1), tick=False):
        order_mark_paid(order_id=orders[1].pk)
        order_mark_paid(order_id=orders[2].pk)

    assert rollup(keep_empty=True) == {
        (shop.pk, yesterday): (Decimal("20.00"), 1, 1, ZERO, 0),
        (shop.pk, today()): (Decimal("100.00"), 2, 5, ZERO, 0),
    }


@pytest.mark.django_db
def test_a_checkout_paid_for_two_shops_updates_both(
    customer, shop, shop_factory, user_factory, product_factory, category
):
    other = shop_factory(owner=user_factory(role="artisan"))
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    rug = stocked(product_factory, other, category, "99.99", "Rug")
    ensure_address(customer)
    cart_item_add(user=customer, variant=mug, quantity=2)
    cart_item_add(user=customer, variant=rug, quantity=1)
    checkout = checkout_place(user=customer)
    orders = list(Order.objects.filter(checkout=checkout).order_by("pk"))
    assert len(orders) == 2

    with transaction.atomic():  # as the capture of the checkout's payment does
        for order in orders:
            assert order_mark_paid(order_id=order.pk) is True

    assert rollup(keep_empty=True) == {
        (shop.pk, today()): (Decimal("40.00"), 1, 2, ZERO, 0),
        (other.pk, today()): (Decimal("99.99"), 1, 1, ZERO, 0),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("moved_on", [False, True], ids=["paid", "processing"])
def test_cancelling_a_paid_order_moves_it_to_refunded(
    customer, artisan, shop, product_factory, category, moved_on
):
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    kept = place_order(user=customer, lines=[(mug, 1)])
    cancelled = place_order(user=customer, lines=[(mug, 3)])
    order_mark_paid(order_id=kept.pk)
    order_mark_paid(order_id=cancelled.pk)
    if moved_on:
        order_transition(order_id=cancelled.pk, status="processing", actor=artisan)
    assert rollup() == {(shop.pk, today()): (Decimal("80.00"), 2, 4, ZERO, 0)}

    order_cancel(order_id=cancelled.pk, actor=customer)

    assert rollup(keep_empty=True) == {
        (shop.pk, today()): (Decimal("20.00"), 1, 1, Decimal("60.00"), 1),
    }


@pytest.mark.django_db
def test_moving_a_paid_order_forward_changes_nothing(
    customer, artisan, shop, product_factory, category
):
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    order = place_order(user=customer, lines=[(mug, 2)])
    order_mark_paid(order_id=order.pk)

    for status in ("processing", "shipped", "delivered"):
        order_transition(order_id=order.pk, status=status, actor=artisan)

    assert rollup(keep_empty=True) == {(shop.pk, today()): (Decimal("40.00"), 1, 2, ZERO, 0)}


@pytest.mark.django_db
def test_cancelling_an_unpaid_order_and_expiring_change_nothing(
    customer, shop, product_factory, category
):
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    cancelled = place_order(user=customer, lines=[(mug, 1)])
    expired = place_order(user=customer, lines=[(mug, 2)])
    Order.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    order_cancel(order_id=cancelled.pk, actor=customer)
    assert orders_expire() == 1

    assert refreshed(cancelled).status == "cancelled"
    assert refreshed(expired).status == "expired"
    assert ShopDay.objects.count() == 0


@pytest.mark.django_db
def test_a_late_payment_of_an_expired_order_adds_it(customer, shop, product_factory, category):
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    order = place_order(user=customer, lines=[(mug, 2)])
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire() == 1
    assert ShopDay.objects.count() == 0

    assert order_pay_late(order_id=order.pk) is True

    assert refreshed(order).status == "paid"
    assert rollup(keep_empty=True) == {(shop.pk, today()): (Decimal("40.00"), 1, 2, ZERO, 0)}


@pytest.mark.django_db
def test_a_rolled_back_payment_leaves_the_rollup_unchanged(
    customer, shop, product_factory, category
):
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    paid = place_order(user=customer, lines=[(mug, 1)])
    order_mark_paid(order_id=paid.pk)
    order = place_order(user=customer, lines=[(mug, 2)])
    before = rollup(keep_empty=True)

    with pytest.raises(Abandoned):
        pay_then_roll_back(order)

    assert refreshed(order).status == "pending_payment"
    assert before == {(shop.pk, today()): (Decimal("20.00"), 1, 1, ZERO, 0)}
    assert rollup(keep_empty=True) == before


def mixed_history(
    customer: Any, other_customer: Any, artisan: Any, mug: Variant, rug: Variant
) -> None:
    """Orders of two shops, paid on two days, moved on, cancelled before and after payment,
    expired, paid late, one payment rolled back and one paid order soft-deleted."""
    orders = [
        place_order(user=buyer, lines=[(variant, n)])
        for buyer in (customer, other_customer)
        for variant in (mug, rug)
        for n in (1, 2, 3)
    ]
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False):
        for order in orders[:4]:
            order_mark_paid(order_id=order.pk)
    for order in orders[4:9]:
        order_mark_paid(order_id=order.pk)
    order_transition(order_id=orders[0].pk, status="processing", actor=artisan)
    order_cancel(order_id=orders[1].pk, actor=customer)  # paid two days ago
    order_cancel(order_id=orders[5].pk, actor=customer)  # paid today
    order_cancel(order_id=orders[9].pk, actor=other_customer)  # never paid
    Order.objects.filter(pk=orders[10].pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire() == 1
    assert order_pay_late(order_id=orders[10].pk) is True
    with pytest.raises(Abandoned):
        pay_then_roll_back(orders[11])
    Order.objects.filter(pk=orders[6].pk).update(deleted_at=timezone.now())


@pytest.mark.django_db
def test_the_rollup_equals_a_recomputation_after_a_mixed_history(
    customer, other_customer, artisan, shop, shop_factory, user_factory, product_factory, category
):
    other = shop_factory(owner=user_factory(role="artisan"))
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    rug = stocked(product_factory, other, category, "99.99", "Rug")

    mixed_history(customer, other_customer, artisan, mug, rug)

    expected = truth()
    assert len(expected) == 4  # two shops, two days
    assert rollup(keep_empty=True) == expected
    months = month_truth()
    assert {(shop_id, product) for shop_id, _, product in months} == {
        (mug.product.shop_id, mug.product_id),
        (rug.product.shop_id, rug.product_id),
    }
    assert month_rollup() == months


# --- The nightly check -------------------------------------------------------------------------


@pytest.mark.django_db
def test_reconcile_on_a_correct_rollup_corrects_nothing(
    customer, other_customer, artisan, shop, shop_factory, user_factory, product_factory, category
):
    other = shop_factory(owner=user_factory(role="artisan"))
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    rug = stocked(product_factory, other, category, "99.99", "Rug")
    mixed_history(customer, other_customer, artisan, mug, rug)
    before = rollup(keep_empty=True)
    months_before = month_rollup(keep_empty=True)

    result = rollup_reconcile(days=7)

    assert result == Reconciled(since=today() - timedelta(days=7), corrected=0, corrected_months=0)
    assert rollup(keep_empty=True) == before
    assert month_rollup(keep_empty=True) == months_before


@pytest.mark.django_db
def test_reconcile_corrects_exactly_the_drifted_shop_days_and_logs_each(
    customer, other_customer, artisan, shop, shop_factory, user_factory, product_factory, category,
    caplog,
):  # fmt: skip
    other = shop_factory(owner=user_factory(role="artisan"))
    third = shop_factory(owner=user_factory(role="artisan"))
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    rug = stocked(product_factory, other, category, "99.99", "Rug")
    mixed_history(customer, other_customer, artisan, mug, rug)
    expected = truth()
    two_days_ago = today() - timedelta(days=2)
    ShopDay.objects.filter(shop=shop, day=today()).update(revenue=Decimal("1.23"), units=99)
    ShopDay.objects.filter(shop=other, day=two_days_ago).delete()
    ShopDay.objects.create(
        shop=third, day=today() - timedelta(days=1), revenue=Decimal("9.99"), orders=1, units=1
    )
    # Older than the checked week: left alone.
    ShopDay.objects.create(shop=third, day=today() - timedelta(days=30), revenue=Decimal("5.00"))

    with caplog.at_level(logging.WARNING, logger="souk.analytics.services.rollup"):
        result = rollup_reconcile(days=7)

    assert result.corrected == 3
    assert rollup() == {
        **expected,
        (third.pk, today() - timedelta(days=30)): (Decimal("5.00"), 0, 0, ZERO, 0),
    }
    assert ShopDay.objects.get(shop=third, day=today() - timedelta(days=1)).revenue == ZERO
    drifts = [
        record.getMessage()
        for record in caplog.records
        if record.name == "souk.analytics.services.rollup"
    ]
    assert [record.levelno for record in caplog.records] == [logging.WARNING] * 3
    assert sorted(drifts) == sorted(
        [
            f"analytics rollup drift corrected: shop {shop.pk} on {today()}, "
            f"revenue {expected[(shop.pk, today())][0] - Decimal('1.23'):+.2f}, refunded +0.00",
            f"analytics rollup drift corrected: shop {other.pk} on {two_days_ago}, "
            f"revenue {expected[(other.pk, two_days_ago)][0]:+.2f}, "
            f"refunded {expected[(other.pk, two_days_ago)][3]:+.2f}",
            f"analytics rollup drift corrected: shop {third.pk} on {today() - timedelta(days=1)}, "
            "revenue -9.99, refunded +0.00",
        ]
    )

    assert rollup_reconcile(days=7).corrected == 0


@pytest.mark.django_db
def test_reconcile_corrects_exactly_the_drifted_product_months_and_logs_each(
    customer, other_customer, artisan, shop, shop_factory, user_factory, product_factory, category,
    caplog,
):  # fmt: skip
    other = shop_factory(owner=user_factory(role="artisan"))
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    rug = stocked(product_factory, other, category, "99.99", "Rug")
    jug = stocked(product_factory, other, category, "5.00", "Jug")
    mixed_history(customer, other_customer, artisan, mug, rug)
    expected = month_truth()
    this_month = today().replace(day=1)
    last_year = date(this_month.year - 1, this_month.month, 1)
    mug_month = (shop.pk, this_month, mug.product_id)
    ProductMonth.objects.filter(product=mug.product, month=this_month).update(
        revenue=F("revenue") + Decimal("1.50"), units=F("units") - 1
    )
    ProductMonth.objects.create(
        shop=other, product=jug.product, month=this_month, revenue=Decimal("7.00"), units=2
    )
    # Older than the checked week's months: left alone.
    ProductMonth.objects.create(
        shop=other, product=jug.product, month=last_year, revenue=Decimal("3.00"), units=1
    )

    with caplog.at_level(logging.WARNING, logger="souk.analytics.services.rollup"):
        result = rollup_reconcile(days=7)

    assert (result.corrected, result.corrected_months) == (0, 2)
    assert month_rollup() == {
        **expected,
        (other.pk, last_year, jug.product_id): (Decimal("3.00"), 1),
    }
    drifts = [
        record.getMessage()
        for record in caplog.records
        if record.name == "souk.analytics.services.rollup"
    ]
    assert sorted(drifts) == sorted(
        [
            f"analytics rollup drift corrected: shop {mug_month[0]}, product {mug.product_id} in "
            f"{this_month:%Y-%m}, revenue -1.50, units +1",
            f"analytics rollup drift corrected: shop {other.pk}, product {jug.product_id} in "
            f"{this_month:%Y-%m}, revenue -7.00, units -2",
        ]
    )
    assert rollup_reconcile(days=7) == Reconciled(
        since=today() - timedelta(days=7), corrected=0, corrected_months=0
    )


@pytest.fixture
def long_history(
    customer, other_customer, artisan, shop, shop_factory, user_factory, product_factory, category
):
    """`mixed_history` over two shops, and an order of `shop` paid 400 days ago."""
    other = shop_factory(owner=user_factory(role="artisan"))
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    rug = stocked(product_factory, other, category, "99.99", "Rug")
    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        old = place_order(user=customer, lines=[(mug, 4)])
        order_mark_paid(order_id=old.pk)
    mixed_history(customer, other_customer, artisan, mug, rug)


# --- The migration's backfill ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_backfill_rebuilds_exactly_the_rollup(
    long_history,
):
    kept = rollup(keep_empty=True)
    assert len(kept) == 5
    ShopDay.objects.all().delete()
    migration = importlib.import_module("souk.analytics.migrations.0001_initial")

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        cursor.execute(migration.BACKFILL_SQL, {"since": "-infinity", "since_day": "-infinity"})

    assert rollup(keep_empty=True) == kept == truth()


@pytest.mark.django_db
def test_the_migration_backfill_rebuilds_exactly_the_product_months(
    long_history,
):
    kept = month_rollup()
    assert len({month for _, month, _ in kept}) >= 2
    ProductMonth.objects.all().delete()
    migration = importlib.import_module("souk.analytics.migrations.0002_product_month")

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL_SQL)

    assert month_rollup(keep_empty=True) == kept == month_truth()


# --- Concurrency -------------------------------------------------------------------------------


def pending_orders(user_factory: Any, variant: Variant, count: int) -> list[Order]:
    orders = []
    for index in range(count):
        buyer = user_factory(role="customer")
        orders.append(place_order(user=buyer, lines=[(variant, 1 + index % 3)]))
    return orders


def payer(orders: list[Order]) -> Callable[[], int]:
    def pay() -> int:
        return sum(order_mark_paid(order_id=order.pk) for order in orders)

    return pay


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("threads")
def test_many_orders_of_one_shop_paid_at_once_leave_the_rollup_exact(
    user_factory, shop, product_factory, category
):
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    orders = pending_orders(user_factory, mug, 36)
    threads = 6

    paid = run_together([payer(orders[i::threads]) for i in range(threads)])

    assert paid == [6] * threads
    units = sum(1 + index % 3 for index in range(36))
    expected = {(shop.pk, today()): (Decimal("20.00") * units, 36, units, ZERO, 0)}
    assert truth() == expected
    assert rollup(keep_empty=True) == expected
    this_month = today().replace(day=1)
    assert month_rollup(keep_empty=True) == {
        (shop.pk, this_month, mug.product_id): (Decimal("20.00") * units, units)
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("threads")
def test_a_reconcile_running_while_payments_commit_finds_and_leaves_no_drift(
    user_factory, shop, shop_factory, product_factory, category
):
    other = shop_factory(owner=user_factory(role="artisan"))
    mug = stocked(product_factory, shop, category, "20.00", "Mug")
    rug = stocked(product_factory, other, category, "99.99", "Rug")
    orders = pending_orders(user_factory, mug, 20) + pending_orders(user_factory, rug, 20)
    payers = 4
    done = threading.Event()
    finished: list[int] = []
    lock = threading.Lock()

    def pay(part: list[Order]) -> Callable[[], int]:
        def run() -> int:
            try:
                return payer(part)()
            finally:
                with lock:
                    finished.append(1)
                    if len(finished) == payers:
                        done.set()

        return run

    def reconcile() -> list[int]:
        corrected = [rollup_reconcile(days=1).corrected]
        while not done.is_set():
            corrected.append(rollup_reconcile(days=1).corrected)
        corrected.append(rollup_reconcile(days=1).corrected)
        return corrected

    results = run_together([reconcile, *(pay(orders[i::payers]) for i in range(payers))])

    assert results[1:] == [10] * payers
    assert len(truth()) == 2
    assert rollup(keep_empty=True) == truth()
    assert month_rollup(keep_empty=True) == month_truth()
    assert len(month_truth()) == 2
    assert len(results[0]) >= 3
    assert set(results[0]) == {0}


# --- The command -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_rebuilds_both_rollups_over_the_whole_history(
    long_history,
):
    from io import StringIO

    from django.core.management import call_command

    days, months = rollup(), month_rollup()
    ShopDay.objects.all().delete()
    ProductMonth.objects.all().delete()
    out = StringIO()

    since = today() - timedelta(days=7)
    recent_days = {key: value for key, value in days.items() if key[1] >= since}
    recent_months = {key: value for key, value in months.items() if key[1] >= since.replace(day=1)}
    assert 0 < len(recent_days) < len(days)
    assert 0 < len(recent_months) < len(months)

    call_command("rollup_reconcile", "--days", "7", stdout=out)

    assert (rollup(), month_rollup()) == (recent_days, recent_months)
    assert out.getvalue().splitlines()[-1] == (
        f"Checked from {since}: corrected {len(recent_days)} shop-days and "
        f"{len(recent_months)} product-months."
    )

    call_command("rollup_reconcile", "--all", stdout=out)

    assert rollup() == days == truth()
    assert month_rollup() == months == month_truth()
    assert out.getvalue().splitlines()[-1] == (
        f"Checked from {date.min}: corrected {len(days) - len(recent_days)} shop-days and "
        f"{len(months) - len(recent_months)} product-months."
    )


@pytest.mark.django_db
def test_the_command_refuses_a_negative_number_of_days():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--days must be 0 or more"):
        call_command("rollup_reconcile", "--days", "-1")


@pytest.mark.django_db
def test_a_large_correction_logs_the_first_rows_and_a_count(
    shop, shop_factory, user_factory, caplog, monkeypatch
):
    from souk.analytics.services import rollup as rollup_service

    monkeypatch.setattr(rollup_service, "DRIFT_LOGGED", 2)
    for offset in range(1, 5):
        ShopDay.objects.create(shop=shop, day=today() - timedelta(days=offset), orders=1)

    with caplog.at_level(logging.WARNING, logger="souk.analytics.services.rollup"):
        assert rollup_reconcile(days=7).corrected == 4

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3
    assert messages[-1] == (
        "analytics rollup drift corrected: 4 shop-days and 0 product-months in all "
        "(the first 2 of each logged)"
    )
