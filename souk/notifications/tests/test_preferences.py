"""A preferences row that holds something other than `{kind: {channel: bool}}` (written by
hand, or by an older release) is read as "not chosen": placing an order still succeeds and
notifies the shop owner by default, the preferences API answers with the defaults, and the
next change stores clean choices."""

from __future__ import annotations

from typing import Any

import pytest

from souk.notifications.models import (
    DEFAULT_CHANNELS,
    Kind,
    Notification,
    OutboxMessage,
    Preference,
)
from souk.orders.models import Order
from souk.orders.tests.factories import ensure_address

pytestmark = pytest.mark.django_db

ORDERS = "/api/orders/"
PREFERENCES = "/api/notifications/preferences/"
DEFAULTS = {str(channel): on for channel, on in DEFAULT_CHANNELS.items()}

MALFORMED = [
    {"low_stock": True},
    {"order_placed": True, "low_stock": ["email"]},
    {"order_placed": {"email": "yes", "fax": True}},
    ["order_placed"],
    "email",
]


@pytest.mark.parametrize("choices", MALFORMED)
def test_a_malformed_row_of_the_owner_does_not_fail_the_order(
    client_for, customer, artisan, shop, product, choices: Any
):
    Preference.objects.create(user=artisan, choices=choices)
    ensure_address(customer)
    body = {"shop": shop.pk, "items": [{"variant": product.variants.get().pk, "quantity": 1}]}

    response = client_for(customer).post(ORDERS, body, format="json")

    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert Notification.objects.filter(recipient=artisan, data__order=order.pk).count() == 1
    assert list(OutboxMessage.objects.filter(recipient=artisan).values_list("channel", "kind")) == [
        ("email", Kind.ORDER_PLACED)
    ]


@pytest.mark.parametrize("choices", MALFORMED)
def test_a_malformed_row_reads_as_the_defaults_and_a_put_stores_clean_choices(
    client_for, artisan, choices: Any
):
    Preference.objects.create(user=artisan, choices=choices)
    client = client_for(artisan)

    response = client.get(PREFERENCES)

    assert response.status_code == 200, response.content
    assert response.json() == {kind.value: DEFAULTS for kind in Kind}

    changed = client.put(PREFERENCES, {"review_received": {"email": False}}, format="json")

    assert changed.status_code == 200, changed.content
    expected = {kind.value: DEFAULTS for kind in Kind}
    expected["review_received"] = {**DEFAULTS, "email": False}
    assert changed.json() == expected
    assert Preference.objects.get(user=artisan).choices == {"review_received": {"email": False}}
