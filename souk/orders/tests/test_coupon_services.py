"""Coupon rules, called on the coupon services directly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from souk.core.exceptions import PermissionDeniedError
from souk.orders.models import Coupon
from souk.orders.services.coupons import coupon_create, coupon_update
from souk.orders.tests.factories import make_coupon

pytestmark = pytest.mark.django_db


def row(coupon: Coupon) -> dict[str, object]:
    return model_to_dict(Coupon.objects.get(pk=coupon.pk))


def test_an_update_keeps_the_code_upper_case_and_changes_only_what_is_given(admin_user):
    coupon = make_coupon(code="SAVE10", max_uses=5)
    before = row(coupon)

    updated = coupon_update(
        actor=admin_user, coupon=coupon, data={"code": " spring ", "value": Decimal("15")}
    )

    assert (updated.code, updated.value) == ("SPRING", Decimal("15"))
    assert row(coupon) == {**before, "code": "SPRING", "value": Decimal("15.00")}


def test_max_uses_below_the_uses_so_far_is_refused_and_nothing_changes(admin_user):
    coupon = make_coupon(max_uses=5)
    Coupon.objects.filter(pk=coupon.pk).update(uses=3)
    before = row(coupon)

    with pytest.raises(ValidationError) as raised:
        coupon_update(actor=admin_user, coupon=coupon, data={"max_uses": 2, "value": 20})

    assert raised.value.message_dict == {"max_uses": ["Already used 3 times."]}
    assert row(coupon) == before


def test_a_percentage_over_100_is_refused(admin_user):
    coupon = make_coupon(kind="percent", value="10")
    before = row(coupon)

    with pytest.raises(ValidationError) as raised:
        coupon_update(actor=admin_user, coupon=coupon, data={"value": Decimal("101")})

    assert raised.value.message_dict == {"value": ["A percentage is at most 100."]}
    assert row(coupon) == before


def test_a_customer_may_not_create_a_platform_coupon(customer):
    with pytest.raises(PermissionDeniedError):
        coupon_create(actor=customer, data={"code": "free", "kind": "percent", "value": 50})

    assert Coupon.objects.count() == 0


def test_a_code_taken_by_another_coupon_is_refused(admin_user):
    make_coupon(code="TAKEN")
    coupon = make_coupon(code="MINE")
    before = row(coupon)

    with pytest.raises(ValidationError) as raised:
        coupon_update(actor=admin_user, coupon=coupon, data={"code": "taken"})

    assert raised.value.message_dict == {"code": ["A coupon with this code already exists."]}
    assert row(coupon) == before
