"""The role and shop-membership building blocks, against duck-typed shops."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory

from souk.core import permissions as p


class FakeShop:
    def __init__(self, members):
        self.members = members

    def member_role(self, user):
        return self.members.get(user.pk)


def user(pk, role="customer", staff=False):
    return SimpleNamespace(pk=pk, role=role, is_staff=staff, is_authenticated=True)


def request_for(who):
    request = APIRequestFactory().get("/")
    request.user = who
    return request


SHOP = FakeShop({1: "owner", 2: "staff"})
OWNER, STAFF, STRANGER, ADMIN = (
    user(1, "artisan"),
    user(2, "artisan"),
    user(3),
    user(4, "admin", True),
)


@pytest.mark.parametrize(
    ("permission", "who", "allowed"),
    [
        (p.IsShopMember, OWNER, True),
        (p.IsShopMember, STAFF, True),
        (p.IsShopMember, STRANGER, False),
        (p.IsShopMember, ADMIN, False),
        (p.IsShopOwner, OWNER, True),
        (p.IsShopOwner, STAFF, False),
        (p.IsShopMemberOrAdmin, ADMIN, True),
        (p.IsShopMemberOrAdmin, STRANGER, False),
        (p.IsShopOwnerOrAdmin, STAFF, False),
        (p.IsShopOwnerOrAdmin, ADMIN, True),
        (p.IsShopMember, AnonymousUser(), False),
    ],
)
def test_membership_permissions(permission, who, allowed):
    view = SimpleNamespace(get_permission_shop=lambda: SHOP)
    obj = SimpleNamespace(permission_shop=SHOP)

    assert permission().has_permission(request_for(who), view) is allowed
    assert permission().has_object_permission(request_for(who), view, obj) is allowed


def test_object_that_is_itself_a_shop():
    view: Any = SimpleNamespace()

    assert p.IsShopOwner().has_object_permission(request_for(OWNER), view, SHOP)


def test_membership_without_a_shop_is_denied():
    view: Any = SimpleNamespace(get_permission_shop=lambda: None)

    assert p.IsShopMember().has_permission(request_for(OWNER), view) is False


@pytest.mark.parametrize(
    ("permission", "who", "allowed"),
    [
        (p.IsCustomer, user(1, "customer"), True),
        (p.IsCustomer, user(1, "artisan"), False),
        (p.IsArtisan, user(1, "artisan"), True),
        (p.IsArtisan, AnonymousUser(), False),
        (p.IsPlatformAdmin, ADMIN, True),
        (p.IsPlatformAdmin, user(1, "admin", False), False),
    ],
)
def test_role_permissions(permission, who, allowed):
    view: Any = SimpleNamespace()

    assert permission().has_permission(request_for(who), view) is allowed
