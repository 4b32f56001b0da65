"""Coupons over HTTP: shop members manage their shop's coupons, administrators platform-wide
ones; validation; soft delete."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from souk.core.testing import assert_problem
from souk.orders.models import Coupon
from souk.orders.tests.factories import make_coupon
from souk.shops.models import Shop

COUPONS = "/api/coupons/"
pytestmark = pytest.mark.django_db


def detail(coupon):
    return f"{COUPONS}{coupon.pk}/"


def rows():
    return sorted(
        Coupon.all_objects.values_list(
            "code", "shop_id", "kind", "value", "starts_at", "ends_at", "max_uses", "deleted_at"
        ),
        key=str,
    )


@pytest.fixture
def owner(client_for, artisan):
    return client_for(artisan)


@pytest.fixture
def member(client_for, staff):
    return client_for(staff)


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def other_shop(other_artisan):
    return Shop.objects.get(owner=other_artisan)


def body(for_shop=None, **overrides):
    data = {"code": "spring-10", "kind": "percent", "value": "10"}
    if for_shop is not None:
        data["shop"] = for_shop.pk
    data.update(overrides)
    return data


# --- Create ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "member"])
def test_members_create_coupons_for_their_shop(request, shop, staff, artisan, who):
    client = request.getfixturevalue(who)
    starts = timezone.now() + timedelta(days=1)
    ends = starts + timedelta(days=7)

    response = client.post(
        COUPONS,
        body(
            shop,
            min_subtotal="25.00",
            starts_at=starts.isoformat(),
            ends_at=ends.isoformat(),
            max_uses=100,
            max_uses_per_customer=1,
        ),
    )

    assert response.status_code == 201, response.content
    data = response.json()
    coupon = Coupon.objects.get()
    assert data["id"] == coupon.pk
    assert {key: data[key] for key in ("code", "shop", "kind", "value", "currency")} == {
        "code": "SPRING-10",
        "shop": shop.pk,
        "kind": "percent",
        "value": "10.00",
        "currency": "USD",
    }
    assert (
        data["min_subtotal"],
        data["max_uses"],
        data["max_uses_per_customer"],
        data["uses"],
    ) == (
        "25.00",
        100,
        1,
        0,
    )
    assert (coupon.starts_at, coupon.ends_at) == (starts, ends)
    assert coupon.created_by == (staff if who == "member" else artisan)


def test_fixed_coupon(owner, shop):
    response = owner.post(COUPONS, body(shop, kind="fixed", value="7.5"))

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["value"]) == ("fixed", "7.50")


def test_members_cannot_create_coupons_for_another_shop(member, other_shop):
    assert_problem(member.post(COUPONS, body(other_shop)), 403, "permission_denied")
    assert rows() == []


@pytest.mark.parametrize("shop_value", ["omitted", None])
def test_only_admins_create_platform_wide_coupons(owner, admin, shop_value):
    payload = body() if shop_value == "omitted" else body(shop=None)

    assert_problem(owner.post(COUPONS, payload), 403, "permission_denied")
    assert rows() == []

    response = admin.post(COUPONS, payload)

    assert response.status_code == 201
    assert response.json()["shop"] is None
    assert Coupon.objects.get().shop is None


def test_admins_create_coupons_for_any_shop(admin, other_shop):
    assert admin.post(COUPONS, body(other_shop)).status_code == 201
    assert Coupon.objects.get().shop == other_shop


def test_customers_cannot_manage_coupons(client_for, customer, shop):
    client = client_for(customer)

    assert_problem(client.post(COUPONS, body(shop)), 403, "permission_denied")
    assert_problem(client.get(COUPONS), 403, "permission_denied")
    assert rows() == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"value": "100.01"}, "value", id="percent-over-100"),
        pytest.param({"value": "-5"}, "value", id="negative"),
        pytest.param({"value": "0"}, "value", id="zero"),
        pytest.param({"value": "abc"}, "value", id="not-a-number"),
        pytest.param({"value": "1.234"}, "value", id="three-decimals"),
        pytest.param({"kind": "fixed", "value": "-1.00"}, "value", id="negative-fixed"),
        pytest.param({"kind": "bogo"}, "kind", id="unknown-kind"),
        pytest.param({"code": "ab"}, "code", id="code-too-short"),
        pytest.param({"code": "has space"}, "code", id="code-with-space"),
        pytest.param({"code": "x" * 41}, "code", id="code-too-long"),
        pytest.param({"min_subtotal": "-1"}, "min_subtotal", id="negative-min-subtotal"),
        pytest.param({"max_uses": 0}, "max_uses", id="zero-max-uses"),
        pytest.param({"max_uses_per_customer": -1}, "max_uses_per_customer", id="negative-per"),
        pytest.param({"ends_at": 1, "starts_at": 2}, "ends_at", id="ends-before-it-starts"),
        pytest.param({"ends_at": 2, "starts_at": 2}, "ends_at", id="ends-when-it-starts"),
        pytest.param({"starts_at": "next week"}, "starts_at", id="not-a-date"),
    ],
)
def test_invalid_coupons_are_400(owner, shop, overrides, field):
    now = timezone.now()
    values = {
        key: (now + timedelta(days=value)).isoformat()
        if key.endswith("_at") and isinstance(value, int)
        else value
        for key, value in overrides.items()
    }

    body_ = assert_problem(owner.post(COUPONS, body(shop, **values)), 400, "validation_error")

    assert field in body_["errors"]
    assert rows() == []


def test_percent_of_exactly_100_is_allowed(owner, shop):
    assert owner.post(COUPONS, body(shop, value="100")).status_code == 201


def test_missing_required_fields_are_400(owner, shop):
    body_ = assert_problem(owner.post(COUPONS, {"shop": shop.pk}), 400, "validation_error")

    assert set(body_["errors"]) == {"code", "kind", "value"}


def test_duplicate_codes_are_400_whatever_the_case(owner, admin, shop, other_shop):
    make_coupon(code="SPRING-10", shop=other_shop)
    before = rows()

    body_ = assert_problem(
        owner.post(COUPONS, body(shop, code="Spring-10")), 400, "validation_error"
    )

    assert "code" in body_["errors"]
    assert rows() == before
    assert_problem(admin.post(COUPONS, body(code="spring-10")), 400, "validation_error")


def test_unknown_shop_is_400(owner):
    body_ = assert_problem(owner.post(COUPONS, body(shop=99999999)), 400, "validation_error")

    assert "shop" in body_["errors"]


# --- Read -----------------------------------------------------------------------------------


def test_members_list_their_shops_coupons_and_admins_all(member, admin, shop, other_shop):
    mine = make_coupon(code="MINE", shop=shop)
    make_coupon(code="THEIRS", shop=other_shop)
    make_coupon(code="PLATFORM")
    make_coupon(code="GONE", shop=shop, deleted_at=timezone.now())

    listed = member.get(COUPONS)

    assert listed.status_code == 200
    assert [row["code"] for row in listed.json()["results"]] == ["MINE"]
    assert member.get(detail(mine)).json()["code"] == "MINE"
    assert sorted(row["code"] for row in admin.get(COUPONS).json()["results"]) == [
        "MINE",
        "PLATFORM",
        "THEIRS",
    ]


def test_other_shops_and_platform_coupons_are_404_to_members(member, other_shop):
    theirs = make_coupon(code="THEIRS", shop=other_shop)
    platform = make_coupon(code="PLATFORM")

    for coupon in (theirs, platform):
        assert_problem(member.get(detail(coupon)), 404, "not_found")
        assert_problem(member.patch(detail(coupon), {"value": "50"}), 404, "not_found")
        assert_problem(member.delete(detail(coupon)), 404, "not_found")
    assert sorted(Coupon.objects.values_list("code", "value")) == [
        ("PLATFORM", Decimal("10.00")),
        ("THEIRS", Decimal("10.00")),
    ]


# --- Update ---------------------------------------------------------------------------------


def test_members_patch_their_coupons(member, shop):
    coupon = make_coupon(code="MINE", shop=shop)

    response = member.patch(detail(coupon), {"value": "15", "max_uses": 3, "code": "mine-15"})

    assert response.status_code == 200
    assert (response.json()["code"], response.json()["value"], response.json()["max_uses"]) == (
        "MINE-15",
        "15.00",
        3,
    )
    coupon.refresh_from_db()
    assert (coupon.code, coupon.value, coupon.max_uses, coupon.kind) == (
        "MINE-15",
        Decimal("15.00"),
        3,
        "percent",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"value": "150"}, "value", id="percent-over-100"),
        pytest.param({"kind": "percent", "value": "101"}, "value", id="kind-and-value"),
        pytest.param({"ends_at": "past-start"}, "ends_at", id="ends-before-existing-start"),
        pytest.param({"max_uses": 1}, "max_uses", id="below-uses"),
        pytest.param({"code": "TAKEN"}, "code", id="duplicate-code"),
        pytest.param({"value": "-1"}, "value", id="negative"),
    ],
)
def test_invalid_patches_are_400_and_change_nothing(member, shop, payload, field):
    make_coupon(code="TAKEN", shop=shop)
    coupon = make_coupon(
        code="MINE",
        shop=shop,
        value="20",
        starts_at=timezone.now() + timedelta(days=2),
        uses=2,
    )
    if payload.get("ends_at") == "past-start":
        payload = {"ends_at": (timezone.now() + timedelta(days=1)).isoformat()}
    before = rows()

    body_ = assert_problem(member.patch(detail(coupon), payload), 400, "validation_error")

    assert field in body_["errors"]
    assert rows() == before


def test_a_fixed_coupon_over_100_may_become_percent_only_with_a_new_value(owner, shop):
    coupon = make_coupon(code="BIG", shop=shop, kind="fixed", value="250")

    assert_problem(owner.patch(detail(coupon), {"kind": "percent"}), 400, "validation_error")
    assert owner.patch(detail(coupon), {"kind": "percent", "value": "50"}).status_code == 200


def test_members_cannot_move_a_coupon_to_another_shop_or_platform_wide(member, shop, other_shop):
    coupon = make_coupon(code="MINE", shop=shop)

    assert_problem(member.patch(detail(coupon), {"shop": other_shop.pk}), 403, "permission_denied")
    assert_problem(member.patch(detail(coupon), {"shop": None}), 403, "permission_denied")

    coupon.refresh_from_db()
    assert coupon.shop == shop


def test_admins_patch_platform_coupons(admin):
    coupon = make_coupon(code="PLATFORM")

    assert admin.patch(detail(coupon), {"value": "12.5"}).status_code == 200
    coupon.refresh_from_db()
    assert coupon.value == Decimal("12.50")


# --- Delete ---------------------------------------------------------------------------------


def test_delete_is_soft_and_the_code_stops_working(client_for, customer, member, shop, product):
    coupon = make_coupon(code="MINE", shop=shop)

    response = member.delete(detail(coupon))

    assert response.status_code == 204
    assert Coupon.all_objects.get(pk=coupon.pk).deleted_at is not None
    assert member.get(COUPONS).json()["results"] == []
    assert_problem(member.get(detail(coupon)), 404, "not_found")
    assert_problem(member.delete(detail(coupon)), 404, "not_found")
    buyer = client_for(customer)
    buyer.post("/api/cart/items/", {"variant": product.variants.get().pk, "quantity": 1})
    assert_problem(buyer.post("/api/cart/coupon/", {"code": "MINE"}), 400, "validation_error")


def test_a_deleted_coupons_code_can_be_used_again(member, shop):
    coupon = make_coupon(code="MINE", shop=shop)
    member.delete(detail(coupon))

    response = member.post(COUPONS, body(shop, code="mine"))

    assert response.status_code == 201
    assert response.json()["id"] != coupon.pk
    assert Coupon.all_objects.filter(code="MINE").count() == 2


def test_members_cannot_delete_platform_coupons_admins_can(member, admin):
    coupon = make_coupon(code="PLATFORM")

    assert_problem(member.delete(detail(coupon)), 404, "not_found")
    assert Coupon.objects.filter(pk=coupon.pk).exists()
    assert admin.delete(detail(coupon)).status_code == 204
    assert not Coupon.objects.filter(pk=coupon.pk).exists()
