"""Coupons: shop members manage their shop's coupons; administrators any, including
platform-wide ones (no shop)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.core.exceptions import Conflict, NotFound
from souk.core.services import model_update
from souk.orders import policy
from souk.orders.locks import coupon_lock
from souk.orders.models import Coupon

FIELDS = (
    "code",
    "shop",
    "kind",
    "value",
    "min_subtotal",
    "starts_at",
    "ends_at",
    "max_uses",
    "max_uses_per_customer",
)


def _validate(values: dict[str, Any]) -> None:
    if values.get("kind") == Coupon.Kind.PERCENT and values.get("value", 0) > Decimal("100"):
        raise ValidationError({"value": ["A percentage is at most 100."]})
    start, end = values.get("starts_at"), values.get("ends_at")
    if start and end and end <= start:
        raise ValidationError({"ends_at": ["Must be after starts_at."]})


def coupon_create(*, actor: User, data: dict[str, Any]) -> Coupon:
    shop = data.get("shop")
    policy.require_coupon_manager(
        user=actor,
        shop=shop,
        message="Only administrators create platform-wide coupons; members, their shop's.",
    )
    values = {key: data[key] for key in FIELDS if key in data}
    values["code"] = values["code"].strip().upper()
    _validate(values)
    try:
        with transaction.atomic():
            return Coupon.objects.create(created_by=actor, **values)
    except IntegrityError as exc:
        raise ValidationError({"code": ["A coupon with this code already exists."]}) from exc


def coupon_update(*, actor: User, coupon: Coupon, data: dict[str, Any]) -> Coupon:
    policy.require_coupon_manager(
        user=actor, shop=coupon.shop, message="You may not change this coupon."
    )
    if "shop" in data and data["shop"] != coupon.shop:
        policy.require_coupon_manager(
            user=actor, shop=data["shop"], message="You may not move this coupon to that shop."
        )
    values = {key: data[key] for key in FIELDS if key in data}
    if "code" in values:
        values["code"] = values["code"].strip().upper()
    merged = {key: getattr(coupon, key) for key in FIELDS} | values
    _validate(merged)
    with transaction.atomic():
        locked = coupon_lock(coupon.pk, deleted=False)
        max_uses = values.get("max_uses", locked.max_uses)
        if max_uses is not None and max_uses < locked.uses:
            raise ValidationError({"max_uses": [f"Already used {locked.uses} times."]})
        try:
            with transaction.atomic():
                model_update(instance=locked, fields=FIELDS, data=values)
        except IntegrityError as exc:
            raise ValidationError({"code": ["A coupon with this code already exists."]}) from exc
    return locked


def coupon_delete(*, actor: User, coupon: Coupon) -> None:
    policy.require_coupon_manager(
        user=actor, shop=coupon.shop, message="You may not delete this coupon."
    )
    Coupon.objects.filter(pk=coupon.pk).update(deleted_at=timezone.now())


def coupon_restore(*, actor: User, coupon_id: int) -> Coupon:
    """Administrators bring a soft-deleted coupon back (a live one is left as it is). If a
    live coupon has taken its code meanwhile, that is a 409 `conflict` and nothing changes."""
    policy.require_coupon_restore(user=actor)
    with transaction.atomic():
        try:
            coupon = coupon_lock(coupon_id)
        except Coupon.DoesNotExist as exc:
            raise NotFound("No such coupon.") from exc
        if coupon.deleted_at is None:
            return coupon
        conflict = Conflict(
            f"Another coupon uses the code {coupon.code} now; change or delete it first."
        )
        if Coupon.objects.filter(code=coupon.code).exists():
            raise conflict
        coupon.deleted_at = None
        try:
            with transaction.atomic():
                coupon.save(update_fields=["deleted_at", "updated_at"])
        except IntegrityError as exc:  # a coupon with this code was created at the same moment
            raise conflict from exc
    return coupon
