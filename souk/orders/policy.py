"""Who may see and change orders and coupons.

An order is visible to its buyer, to the members of its shop and to administrators; anyone
else gets 404, as if it did not exist. Among those who can see it: the shop's members and
administrators change its status; the buyer and the shop's members (not administrators) edit
its delivery; only administrators delete and restore it. Coupons belong to shops: members
manage their shop's, administrators any (platform-wide ones, without a shop, included).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from souk.core.exceptions import PermissionDeniedError
from souk.core.permissions import is_platform_admin
from souk.orders.models import Coupon, Order
from souk.shops.models import Shop
from souk.shops.policy import can_manage_shop, is_member, is_member_of_any, member_shop_ids

# --- Orders ----------------------------------------------------------------------------------


def is_buyer(user: Any, order: Order) -> bool:
    return bool(user and user.is_authenticated and order.customer_id == user.pk)


def is_order_member(user: Any, order: Order) -> bool:
    """Whether `user` is a member of the shop the order was placed with."""
    return is_member(user, order.shop)


def can_view_order(user: Any, order: Order) -> bool:
    return is_platform_admin(user) or is_buyer(user, order) or is_order_member(user, order)


def can_cancel_order(user: Any, order: Order) -> bool:
    """Everyone who can see the order may ask to cancel it (the state machine decides)."""
    return can_view_order(user, order)


def can_change_order_status(user: Any, order: Order) -> bool:
    return is_platform_admin(user) or is_order_member(user, order)


def can_edit_delivery(user: Any, order: Order) -> bool:
    return is_buyer(user, order) or is_order_member(user, order)


def can_delete_order(user: Any) -> bool:
    return is_platform_admin(user)


def can_restore_order(user: Any) -> bool:
    return is_platform_admin(user)


def can_list_shop_orders(user: Any, shop: Shop) -> bool:
    return can_manage_shop(user, shop)


def require_order_status_change(*, user: Any, order: Order) -> None:
    if not can_change_order_status(user, order):
        raise PermissionDeniedError("Only the shop's members change an order's status.")


def require_delivery_edit(*, user: Any, order: Order) -> None:
    if not can_edit_delivery(user, order):
        raise PermissionDeniedError("Only the buyer and the shop's members edit delivery.")


def require_order_delete(*, user: Any) -> None:
    if not can_delete_order(user):
        raise PermissionDeniedError("Only administrators delete orders.")


def require_order_restore(*, user: Any) -> None:
    if not can_restore_order(user):
        raise PermissionDeniedError("Only administrators restore orders.")


def require_shop_orders_access(*, user: Any, shop: Shop) -> None:
    if not can_list_shop_orders(user, shop):
        raise PermissionDeniedError("Only members of this shop may list its orders.")


def visible_orders(user: Any, orders: QuerySet[Order]) -> QuerySet[Order]:
    """`orders` narrowed to those `user` may see (see `can_view_order`)."""
    if is_platform_admin(user):
        return orders
    if not (user and user.is_authenticated):
        return orders.none()
    return orders.filter(Q(customer_id=user.pk) | Q(shop_id__in=member_shop_ids(user)))


def listed_orders(user: Any, orders: QuerySet[Order]) -> QuerySet[Order]:
    """The default order list: the caller's own orders; every order for administrators."""
    if is_platform_admin(user):
        return orders
    if not (user and user.is_authenticated):
        return orders.none()
    return orders.filter(customer_id=user.pk)


# --- Coupons ---------------------------------------------------------------------------------


def can_manage_coupons_of(user: Any, shop: Shop | None) -> bool:
    """Members manage their shop's coupons; administrators any, and platform-wide ones
    (`shop` None)."""
    if is_platform_admin(user):
        return True
    return shop is not None and is_member(user, shop)


def can_manage_any_coupon(user: Any) -> bool:
    """Whether the user manages any coupons at all (an administrator or a shop member)."""
    return is_platform_admin(user) or is_member_of_any(user)


def can_restore_coupon(user: Any) -> bool:
    return is_platform_admin(user)


def require_coupon_manager(*, user: Any, shop: Shop | None, message: str) -> None:
    if not can_manage_coupons_of(user, shop):
        raise PermissionDeniedError(message)


def require_any_coupon_manager(*, user: Any) -> None:
    if not can_manage_any_coupon(user):
        raise PermissionDeniedError("Only shop members and administrators manage coupons.")


def require_coupon_restore(*, user: Any) -> None:
    if not can_restore_coupon(user):
        raise PermissionDeniedError("Only administrators restore coupons.")


def visible_coupons(user: Any, coupons: QuerySet[Coupon]) -> QuerySet[Coupon]:
    """`coupons` narrowed to those of the shops `user` belongs to; all for administrators."""
    if is_platform_admin(user):
        return coupons
    return coupons.filter(shop_id__in=member_shop_ids(user))
