"""Who may see and change a shop's stock (inventory, alerts, ledger, adjustments, purchases):
the shop's members (owner or staff) and platform administrators."""

from __future__ import annotations

from typing import Any

from souk.core.exceptions import PermissionDeniedError
from souk.core.permissions import is_platform_admin
from souk.shops.models import Shop
from souk.shops.policy import can_manage_shop, is_member, member_shop_ids


def may_manage_stock(user: Any, shop: Shop) -> bool:
    return can_manage_shop(user, shop)


def require_stock_access(*, user: Any, shop: Shop) -> None:
    if not may_manage_stock(user, shop):
        raise PermissionDeniedError(
            "Only members of this shop or administrators may manage its stock."
        )


def may_view_inventory_page(user: Any, shop: Shop) -> bool:
    """The shop's inventory page is for its members only (administrators included out)."""
    return is_member(user, shop)


def require_inventory_page(*, user: Any, shop: Shop) -> None:
    if not may_view_inventory_page(user, shop):
        raise PermissionDeniedError("Only members of this shop may do this.")


def may_list_every_shop(user: Any) -> bool:
    """Lists of every shop's alerts are for administrators."""
    return is_platform_admin(user)


def stock_shop_ids(user: Any) -> list[int] | None:
    """Ids of the shops whose stock `user` may see; None means every shop (administrators)."""
    if is_platform_admin(user):
        return None
    return list(member_shop_ids(user))
