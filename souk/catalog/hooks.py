"""Steps of catalog flows owned by apps above catalog, registered in their `AppConfig.ready`."""

from __future__ import annotations

from typing import Protocol

from souk.accounts.models import User
from souk.catalog.models import Review, Variant
from souk.core.hooks import Hook


class CustomerReceived(Protocol):
    def __call__(self, *, user: User, product_id: int) -> bool: ...


class VariantStock(Protocol):
    def __call__(self, *, variant: Variant, quantity: int, actor: User) -> object: ...


# Whether the user received the product (only they may review it). Registered by souk.orders.
customer_received: Hook[CustomerReceived] = Hook("catalog.customer_received")
# A new variant's opening stock, and an edited stock level, both go through the stock ledger
# (inside the product's transaction; `variant.quantity` is set to match). Registered by
# souk.inventory.
variant_stock_initialize: Hook[VariantStock] = Hook("catalog.variant_stock_initialize")
variant_stock_set: Hook[VariantStock] = Hook("catalog.variant_stock_set")


class ReviewReceived(Protocol):
    def __call__(self, *, review: Review) -> object: ...


# A customer reviewed a product: inside the same transaction, tell the shop's members.
# Registered by souk.notifications.
review_received: Hook[ReviewReceived] = Hook("catalog.review_received")
