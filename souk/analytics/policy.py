"""Who may read the dashboards: a shop's members and platform administrators read the shop's;
only administrators read the marketplace's."""

from __future__ import annotations

from typing import Any

from souk.core.exceptions import PermissionDeniedError
from souk.shops.models import Shop
from souk.shops.policy import can_manage_shop


def require_shop_dashboard(*, user: Any, shop: Shop) -> None:
    if not can_manage_shop(user, shop):
        raise PermissionDeniedError(
            "Only members of this shop or administrators may read its dashboard."
        )
