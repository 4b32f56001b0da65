"""The inventory policy, asked directly for every role."""

from __future__ import annotations

import pytest

from souk.core.exceptions import PermissionDeniedError
from souk.inventory import policy
from souk.shops.models import Shop


def _fresh(shop: Shop) -> Shop:
    return Shop.objects.get(pk=shop.pk)


@pytest.mark.parametrize(
    ("role", "stock", "page", "every_shop"),
    [
        ("anonymous", False, False, False),
        ("customer", False, False, False),
        ("other_artisan", False, False, False),
        ("staff", True, True, False),
        ("artisan", True, True, False),
        ("removed_staff", False, False, False),
        ("admin_user", True, False, True),
    ],
)
def test_stock_rules_by_role(as_role, shop, role, stock, page, every_shop):
    user = as_role(role)

    assert policy.may_manage_stock(user, _fresh(shop)) is stock
    assert policy.may_view_inventory_page(user, _fresh(shop)) is page
    assert policy.may_list_every_shop(user) is every_shop
    if not stock:
        with pytest.raises(PermissionDeniedError):
            policy.require_stock_access(user=user, shop=_fresh(shop))
    if not page:
        with pytest.raises(PermissionDeniedError):
            policy.require_inventory_page(user=user, shop=_fresh(shop))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "none"),
        ("customer", "none"),
        ("other_artisan", "theirs"),
        ("staff", "shop"),
        ("artisan", "shop"),
        ("removed_staff", "none"),
        ("admin_user", "every"),
    ],
)
def test_stock_shop_ids_scope_lists_to_live_memberships(
    as_role, shop, other_artisan, role, expected
):
    theirs = Shop.objects.get(owner=other_artisan)
    by_name = {"none": [], "theirs": [theirs.pk], "shop": [shop.pk], "every": None}

    assert policy.stock_shop_ids(as_role(role)) == by_name[expected]
