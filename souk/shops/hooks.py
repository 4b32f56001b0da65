"""Steps of shop flows owned by apps above shops, registered in their `AppConfig.ready`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from souk.core.hooks import Hook


class ShopClosed(Protocol):
    def __call__(self, *, shop_id: int, at: datetime) -> object: ...


class ShopReopened(Protocol):
    def __call__(self, *, shop_id: int, deleted_at: datetime) -> object: ...


# Inside the closing transaction, under the shop's lock: hide the shop's live products,
# stamped with the shop's deletion time `at`. Registered by souk.catalog.
shop_closed: Hook[ShopClosed] = Hook("shops.shop_closed")
# Inside the reopening transaction, under the shop's lock: bring back what closing the shop
# at `deleted_at` hid (a Conflict if that cannot be done). Registered by souk.catalog.
shop_reopened: Hook[ShopReopened] = Hook("shops.shop_reopened")
