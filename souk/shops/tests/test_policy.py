"""The shops policy and its one membership check, asked directly for every role."""

from __future__ import annotations

import pytest

from souk.core.exceptions import NotFound, PermissionDeniedError
from souk.shops import policy
from souk.shops.models import Shop


def _fresh(shop: Shop) -> Shop:
    """The shop re-read, so no membership answer is remembered from an earlier call."""
    return Shop.objects.get(pk=shop.pk)


@pytest.mark.parametrize(
    ("role", "member_role", "manage", "update", "delete", "run_staff"),
    [
        ("anonymous", None, False, False, False, False),
        ("customer", None, False, False, False, False),
        ("other_artisan", None, False, False, False, False),
        ("staff", "staff", True, False, False, False),
        ("artisan", "owner", True, True, True, True),
        ("removed_staff", None, False, False, False, False),
        ("admin_user", None, True, False, True, False),
    ],
)
def test_shop_rules_by_role(as_role, shop, role, member_role, manage, update, delete, run_staff):
    user = as_role(role)

    assert policy.member_role(user, _fresh(shop)) == member_role
    assert policy.is_member(user, _fresh(shop)) is (member_role is not None)
    assert policy.is_owner(user, _fresh(shop)) is (member_role == "owner")
    assert policy.can_manage_shop(user, _fresh(shop)) is manage
    assert policy.can_update_shop(user, _fresh(shop)) is update
    assert policy.can_delete_shop(user, _fresh(shop)) is delete
    assert policy.can_manage_staff(user, _fresh(shop)) is run_staff


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
def test_require_shop_member_refuses_with_the_given_message(as_role, shop, role, expected):
    user = as_role(role)

    if expected:
        policy.require_shop_member(user=user, shop=_fresh(shop), message="Members only.")
    else:
        with pytest.raises(PermissionDeniedError, match=r"^Members only\.$"):
            policy.require_shop_member(user=user, shop=_fresh(shop), message="Members only.")


def test_is_member_is_none_without_a_shop(artisan):
    assert policy.is_member(artisan, None) is False
    assert policy.member_role(artisan, None) is None


@pytest.mark.parametrize(
    ("role", "own_shop", "other_shop"),
    [
        ("anonymous", False, False),
        ("customer", False, False),
        ("other_artisan", False, True),
        ("staff", True, False),
        ("artisan", True, False),
        ("removed_staff", False, False),
        ("admin_user", False, False),
    ],
)
def test_member_shop_ids_are_live_memberships_only(
    as_role, shop, other_artisan, role, own_shop, other_shop
):
    theirs = Shop.objects.get(owner=other_artisan)
    user = as_role(role)

    ids = set(policy.member_shop_ids(user))

    assert ids == {pk for pk, yes in ((shop.pk, own_shop), (theirs.pk, other_shop)) if yes}
    assert policy.is_member_of_any(user) is (own_shop or other_shop)


@pytest.mark.parametrize("role", ["customer", "other_artisan", "staff", "artisan", "removed_staff"])
def test_a_deleted_shop_is_invisible_to_all_but_admins(as_role, shop, role):
    shop.soft_delete()

    with pytest.raises(NotFound):
        policy.restore_target(user=as_role(role), obj=Shop.all_objects.get(pk=shop.pk), name="shop")


@pytest.mark.parametrize("role", ["customer", "other_artisan", "staff", "artisan", "removed_staff"])
def test_a_live_shop_is_not_restored_by_anyone_but_admins(as_role, shop, role):
    with pytest.raises(PermissionDeniedError):
        policy.restore_target(user=as_role(role), obj=_fresh(shop), name="shop")


def test_admins_restore_deleted_and_live_shops(admin_user, shop, shop_factory):
    deleted = shop_factory()
    deleted.soft_delete()
    deleted = Shop.all_objects.get(pk=deleted.pk)

    assert policy.restore_target(user=admin_user, obj=deleted, name="shop") is deleted
    assert policy.restore_target(user=admin_user, obj=shop, name="shop") is shop
    with pytest.raises(NotFound, match=r"^No such shop\.$"):
        policy.restore_target(user=admin_user, obj=None, name="shop")
