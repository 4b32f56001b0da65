"""Who may do what to a shop, built on the one membership check every app's policy uses.

A member is a live `ShopMember` row (owner or staff); removed staff (soft-deleted rows) grant
nothing. Platform administrators are `is_staff` users (`souk.core.permissions`).

Restoring deleted objects is for platform administrators only: a deleted object is invisible
to everyone else (404, as if it never existed); a live one they can see is a 403 for them.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from django.db.models import QuerySet

from souk.core.exceptions import NotFound, PermissionDeniedError
from souk.core.permissions import MEMBER_OWNER, is_platform_admin, shop_role
from souk.shops.models import Shop, ShopMember


def member_role(user: Any, shop: Shop | None) -> str | None:
    """'owner' or 'staff' when `user` is a live member of `shop`, else None."""
    return shop_role(user, shop)


def is_member(user: Any, shop: Shop | None) -> bool:
    """The one membership check: a live owner or staff row of `user` in `shop`."""
    return member_role(user, shop) is not None


def is_owner(user: Any, shop: Shop | None) -> bool:
    return member_role(user, shop) == MEMBER_OWNER


def member_shop_ids(user: Any) -> QuerySet[ShopMember, int]:
    """Ids of the shops `user` is a live member of, as a query (a subquery in selectors)."""
    if not (user and user.is_authenticated):
        return ShopMember.objects.none().values_list("shop_id", flat=True)
    return ShopMember.objects.filter(user_id=user.pk).values_list("shop_id", flat=True)


def is_member_of_any(user: Any) -> bool:
    return member_shop_ids(user).exists()


def can_manage_shop(user: Any, shop: Shop) -> bool:
    """Members (owner or staff) and administrators run a shop's day-to-day business."""
    return is_platform_admin(user) or is_member(user, shop)


def can_update_shop(user: Any, shop: Shop) -> bool:
    """Only the owner edits the shop's profile."""
    return is_owner(user, shop)


def can_delete_shop(user: Any, shop: Shop) -> bool:
    return is_platform_admin(user) or is_owner(user, shop)


def can_manage_staff(user: Any, shop: Shop) -> bool:
    """Only the owner lists, adds and removes staff."""
    return is_owner(user, shop)


def require_shop_member(*, user: Any, shop: Shop, message: str) -> None:
    """403 with `message` unless `user` is a member of `shop` or an administrator."""
    if not can_manage_shop(user, shop):
        raise PermissionDeniedError(message)


class Deletable(Protocol):
    @property
    def is_deleted(self) -> bool: ...


_T = TypeVar("_T", bound=Deletable)


def restore_target(*, user: Any, obj: _T | None, name: str) -> _T:
    """`obj` (deleted or not) if `user` may restore it; else the error they should see."""
    admin = is_platform_admin(user)
    if obj is None or (obj.is_deleted and not admin):
        raise NotFound(f"No such {name}.")
    if not admin:
        raise PermissionDeniedError("Only platform administrators restore deleted objects.")
    return obj
