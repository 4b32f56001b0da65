"""The delivery schedule's rules, called on `delivery_update` directly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils import timezone

from souk.core.exceptions import InvalidTransition, PermissionDeniedError
from souk.orders.models import DeliverySchedule, Order
from souk.orders.services.delivery import delivery_update
from souk.orders.tests.factories import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, product):
    return place_order(user=customer, lines=[(product.variants.get(), 1)])


def schedule_of(order: Order) -> dict[str, object]:
    return model_to_dict(DeliverySchedule.objects.get(order=order))


def update(order: Order, data: dict[str, object], *, buyer: bool = True, member: bool = False):
    return delivery_update(order_id=order.pk, data=data, as_buyer=buyer, as_member=member)


def test_the_buyer_sets_method_window_and_notes(order):
    start = timezone.now() + timedelta(days=1)
    end = start + timedelta(hours=2)

    schedule = update(
        order, {"method": "pickup", "window_start": start, "window_end": end, "notes": "Gate B"}
    )

    assert schedule_of(order) == model_to_dict(schedule)
    assert (schedule.method, schedule.window_start, schedule.window_end, schedule.notes) == (
        "pickup",
        start,
        end,
        "Gate B",
    )


def test_the_buyer_may_not_set_the_carrier_and_nothing_changes(order):
    before = schedule_of(order)

    with pytest.raises(PermissionDeniedError, match="carrier, tracking_number"):
        update(order, {"tracking_number": "AM1", "carrier": "Amana"})

    assert schedule_of(order) == before


def test_a_member_sets_carrier_but_not_the_window(order):
    before = schedule_of(order)

    with pytest.raises(PermissionDeniedError, match="window_start"):
        update(order, {"window_start": timezone.now()}, buyer=False, member=True)
    schedule = update(order, {"carrier": "Amana"}, buyer=False, member=True)

    assert schedule.carrier == "Amana"
    assert schedule_of(order) == {**before, "carrier": "Amana"}


def test_values_sent_back_unchanged_are_no_change_even_on_a_cancelled_order(order):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    before = schedule_of(order)

    update(order, {"method": before["method"], "notes": before["notes"]})

    assert schedule_of(order) == before


def test_a_cancelled_order_refuses_a_change(order):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    before = schedule_of(order)

    with pytest.raises(InvalidTransition):
        update(order, {"notes": "Ring twice"})

    assert schedule_of(order) == before


def test_the_window_must_end_after_it_starts_and_nothing_changes(order):
    start = timezone.now() + timedelta(days=1)
    before = schedule_of(order)

    with pytest.raises(ValidationError) as raised:
        update(order, {"window_start": start, "window_end": start})

    assert raised.value.message_dict == {"window_end": ["The window must end after it starts."]}
    assert schedule_of(order) == before


def test_delivery_needs_an_address_on_the_order(order):
    Order.objects.filter(pk=order.pk).update(shipping_address=None)
    DeliverySchedule.objects.filter(order=order).update(method=DeliverySchedule.Method.PICKUP)
    before = schedule_of(order)

    with pytest.raises(ValidationError) as raised:
        update(order, {"method": "delivery"})

    assert list(raised.value.message_dict) == ["method"]
    assert schedule_of(order) == before
