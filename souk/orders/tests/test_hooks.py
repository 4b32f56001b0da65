from __future__ import annotations

from souk.catalog.hooks import customer_received
from souk.inventory.hooks import units_reserved
from souk.orders import selectors


def test_only_customers_with_a_delivered_line_may_review_a_product():
    assert customer_received.handler is selectors.customer_received


def test_inventory_counts_units_held_by_orders_awaiting_payment_as_reserved():
    assert units_reserved.handler is selectors.variant_units_reserved
