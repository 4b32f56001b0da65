from __future__ import annotations

from souk.catalog.hooks import customer_received
from souk.orders import selectors


def test_only_customers_with_a_delivered_line_may_review_a_product():
    assert customer_received.handler is selectors.customer_received
