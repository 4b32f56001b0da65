"""Steps of inventory flows owned by apps above inventory, registered in their
`AppConfig.ready`."""

from __future__ import annotations

from typing import Protocol

from django.db.models import Expression

from souk.core.hooks import Hook


class UnitsReserved(Protocol):
    def __call__(self) -> Expression: ...


# An expression for a variant queryset (`OuterRef("pk")` is the variant): the units of it held
# by orders awaiting payment (already taken from stock), 0 if none. Registered by souk.orders.
units_reserved: Hook[UnitsReserved] = Hook("inventory.units_reserved")


class LowStockRaised(Protocol):
    def __call__(self, *, alert_ids: list[int]) -> object: ...


# New low-stock alerts were raised: inside the same transaction, write the notifications and
# outbox messages for the shops' members and the platform admins. Registered by
# souk.notifications.
low_stock_raised: Hook[LowStockRaised] = Hook("inventory.low_stock_raised")
