"""The orders policy, asked directly for every role."""

from __future__ import annotations

import pytest

from souk.core.exceptions import PermissionDeniedError
from souk.orders import policy
from souk.orders.models import Coupon, Order
from souk.orders.tests.factories import make_coupon, place_order

ROLES = (
    "anonymous",
    "customer",
    "other_customer",
    "other_artisan",
    "staff",
    "artisan",
    "removed_staff",
    "admin_user",
)


@pytest.fixture
def order(customer, product):
    """An order `customer` placed with `shop` (owned by `artisan`)."""
    return place_order(user=customer, lines=[(product.variants.get(), 1)])


def _fresh(order: Order) -> Order:
    return Order.objects.select_related("shop").get(pk=order.pk)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", False),
        ("customer", True),
        ("other_customer", False),
        ("other_artisan", False),
        ("staff", True),
        ("artisan", True),
        ("removed_staff", False),
        ("admin_user", True),
    ],
)
def test_can_view_order_is_buyer_members_and_admins(as_role, order, role, expected):
    user = as_role(role)

    assert policy.can_view_order(user, _fresh(order)) is expected
    assert policy.can_cancel_order(user, _fresh(order)) is expected
    visible = policy.visible_orders(user, Order.objects.all())
    assert list(visible.values_list("pk", flat=True)) == ([order.pk] if expected else [])


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", False),
        ("customer", False),
        ("other_customer", False),
        ("other_artisan", False),
        ("staff", True),
        ("artisan", True),
        ("removed_staff", False),
        ("admin_user", True),
    ],
)
def test_can_change_order_status_is_members_and_admins(as_role, order, role, expected):
    user = as_role(role)

    assert policy.can_change_order_status(user, _fresh(order)) is expected
    if expected:
        policy.require_order_status_change(user=user, order=_fresh(order))
    else:
        with pytest.raises(PermissionDeniedError):
            policy.require_order_status_change(user=user, order=_fresh(order))


@pytest.mark.parametrize(
    ("role", "buyer", "member"),
    [
        ("anonymous", False, False),
        ("customer", True, False),
        ("other_customer", False, False),
        ("other_artisan", False, False),
        ("staff", False, True),
        ("artisan", False, True),
        ("removed_staff", False, False),
        ("admin_user", False, False),
    ],
)
def test_delivery_is_edited_by_buyer_and_members_not_admins(as_role, order, role, buyer, member):
    user = as_role(role)

    assert policy.is_buyer(user, _fresh(order)) is buyer
    assert policy.is_order_member(user, _fresh(order)) is member
    assert policy.can_edit_delivery(user, _fresh(order)) is (buyer or member)
    if not (buyer or member):
        with pytest.raises(PermissionDeniedError):
            policy.require_delivery_edit(user=user, order=_fresh(order))


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_delete_and_restore_orders(as_role, role):
    user = as_role(role)
    admin = role == "admin_user"

    assert policy.can_delete_order(user) is admin
    assert policy.can_restore_order(user) is admin
    if not admin:
        with pytest.raises(PermissionDeniedError):
            policy.require_order_delete(user=user)
        with pytest.raises(PermissionDeniedError):
            policy.require_order_restore(user=user)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", False),
        ("customer", False),
        ("other_artisan", False),
        ("staff", True),
        ("artisan", True),
        ("removed_staff", False),
        ("admin_user", True),
    ],
)
def test_shop_orders_are_listed_by_members_and_admins(as_role, shop, role, expected):
    user = as_role(role)

    assert policy.can_list_shop_orders(user, shop) is expected
    if not expected:
        with pytest.raises(PermissionDeniedError):
            policy.require_shop_orders_access(user=user, shop=shop)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "none"),
        ("customer", "own"),
        ("other_customer", "other"),
        ("staff", "none"),
        ("artisan", "none"),
        ("admin_user", "all"),
    ],
)
def test_the_default_order_list_is_own_orders_or_all_for_admins(
    as_role, order, other_customer, product, role, expected
):
    other = place_order(user=other_customer, lines=[(product.variants.get(), 1)])
    user = as_role(role)

    listed = set(policy.listed_orders(user, Order.objects.all()).values_list("pk", flat=True))

    by_name = {"none": set(), "own": {order.pk}, "other": {other.pk}, "all": {order.pk, other.pk}}
    assert listed == by_name[expected]


@pytest.mark.parametrize(
    ("role", "own_shop", "platform_wide", "any_coupon"),
    [
        ("anonymous", False, False, False),
        ("customer", False, False, False),
        ("other_artisan", False, False, True),
        ("staff", True, False, True),
        ("artisan", True, False, True),
        ("removed_staff", False, False, False),
        ("admin_user", True, True, True),
    ],
)
def test_coupons_are_managed_by_their_shops_members_and_admins(
    as_role, shop, role, own_shop, platform_wide, any_coupon
):
    shop_coupon = make_coupon(code="SHOP10", shop=shop)
    platform_coupon = make_coupon(code="ALL10")
    user = as_role(role)

    assert policy.can_manage_coupons_of(user, shop) is own_shop
    assert policy.can_manage_coupons_of(user, None) is platform_wide
    assert policy.can_manage_any_coupon(user) is any_coupon
    assert policy.can_restore_coupon(user) is platform_wide
    visible = set(policy.visible_coupons(user, Coupon.objects.all()).values_list("pk", flat=True))
    expected = {shop_coupon.pk} if own_shop else set()
    if platform_wide:
        expected |= {platform_coupon.pk}
    assert visible == expected


@pytest.mark.parametrize("role", ["anonymous", "customer", "other_artisan", "removed_staff"])
def test_require_coupon_rules_refuse_outsiders(as_role, shop, role):
    user = as_role(role)

    with pytest.raises(PermissionDeniedError, match="^Not yours.$"):
        policy.require_coupon_manager(user=user, shop=shop, message="Not yours.")
    with pytest.raises(PermissionDeniedError):
        policy.require_coupon_restore(user=user)
    if role != "other_artisan":
        with pytest.raises(PermissionDeniedError):
            policy.require_any_coupon_manager(user=user)
