"""Permission building blocks: roles and shop membership.

Core knows no app, so shop membership is duck-typed: a view that guards a shop implements
`get_permission_shop()` returning an object with `member_role(user) -> str | None`
("owner", "staff" or None). Object-level checks use `obj.permission_shop` the same way.
"""

from __future__ import annotations

from typing import Any, Protocol

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

ROLE_CUSTOMER = "customer"
ROLE_ARTISAN = "artisan"
ROLE_ADMIN = "admin"
MEMBER_OWNER = "owner"
MEMBER_STAFF = "staff"


class ShopLike(Protocol):
    def member_role(self, user: Any) -> str | None: ...


def is_platform_admin(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


def has_role(user: Any, *roles: str) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "role", None) in roles)


def shop_role(user: Any, shop: ShopLike | None) -> str | None:
    if shop is None or not (user and user.is_authenticated):
        return None
    return shop.member_role(user)


class IsPlatformAdmin(BasePermission):
    message = "Only platform administrators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_platform_admin(request.user)


class _RolePermission(BasePermission):
    roles: tuple[str, ...] = ()

    def has_permission(self, request: Request, view: APIView) -> bool:
        return has_role(request.user, *self.roles)


class IsCustomer(_RolePermission):
    roles = (ROLE_CUSTOMER,)
    message = "Only customers may do this."


class IsArtisan(_RolePermission):
    roles = (ROLE_ARTISAN,)
    message = "Only artisans may do this."


class ReadOnly(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS


class _MembershipPermission(BasePermission):
    """Grants when the caller holds one of `member_roles` in the shop the view guards."""

    member_roles: tuple[str, ...] = (MEMBER_OWNER, MEMBER_STAFF)
    allow_admin = False

    def _granted(self, request: Request, shop: ShopLike | None) -> bool:
        if self.allow_admin and is_platform_admin(request.user):
            return True
        return shop_role(request.user, shop) in self.member_roles

    def has_permission(self, request: Request, view: APIView) -> bool:
        getter = getattr(view, "get_permission_shop", None)
        if getter is None:  # object-level check only
            return bool(request.user and request.user.is_authenticated)
        return self._granted(request, getter())

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        shop = getattr(obj, "permission_shop", None)
        if shop is None and hasattr(obj, "member_role"):
            shop = obj
        return self._granted(request, shop)


class IsShopMember(_MembershipPermission):
    message = "Only members of this shop may do this."


class IsShopOwner(_MembershipPermission):
    member_roles = (MEMBER_OWNER,)
    message = "Only the shop owner may do this."


class IsShopMemberOrAdmin(_MembershipPermission):
    allow_admin = True
    message = "Only members of this shop or administrators may do this."


class IsShopOwnerOrAdmin(_MembershipPermission):
    member_roles = (MEMBER_OWNER,)
    allow_admin = True
    message = "Only the shop owner or administrators may do this."
