from __future__ import annotations

from souk.catalog.services.products import products_restore_for_shop, products_soft_delete_for_shop
from souk.shops.hooks import shop_closed, shop_reopened


def test_closing_a_shop_hides_its_products():
    assert shop_closed.handler is products_soft_delete_for_shop


def test_reopening_a_shop_brings_its_products_back():
    assert shop_reopened.handler is products_restore_for_shop
