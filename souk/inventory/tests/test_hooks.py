from __future__ import annotations

from souk.catalog import hooks as catalog
from souk.inventory.services import variants


def test_a_new_variants_opening_stock_goes_through_the_ledger():
    assert catalog.variant_stock_initialize.handler is variants.variant_stock_initialize


def test_an_edited_stock_level_goes_through_the_ledger():
    assert catalog.variant_stock_set.handler is variants.variant_stock_set
