"""Who may see and change a shop's stock (inventory, alerts, ledger, adjustments, purchases):
the shop's members (owner or staff) and platform administrators."""

from __future__ import annotations

from typing import Any

from souk.core.exceptions import PermissionDeniedError
from souk.core.permissions import is_platform_admin, shop_role
from souk.shops.models import Shop, ShopMember


def may_manage_stock(user: Any, shop: Shop) -> bool:
    return is_platform_admin(user) or shop_role(user, shop) is not None


def require_stock_access(*, user: Any, shop: Shop) -> None:
    if not may_manage_stock(user, shop):
        raise PermissionDeniedError(
            "Only members of this shop or administrators may manage its stock."
        )


def stock_shop_ids(user: Any) -> list[int] | None:
    """Ids of the shops whose stock `user` may see; None means every shop (administrators)."""
    if is_platform_admin(user):
        return None
    if not (user and user.is_authenticated):
        return []
    return list(ShopMember.objects.filter(user=user).values_list("shop_id", flat=True))
