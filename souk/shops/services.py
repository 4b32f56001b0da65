"""Shops: opening, editing, closing (soft delete) and staff."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from souk.accounts.identifiers import normalize_email, normalize_phone
from souk.accounts.models import User
from souk.core.exceptions import Conflict, NotFound, PermissionDeniedError
from souk.core.services import model_update
from souk.shops.geo import point_safe
from souk.shops.hooks import shop_closed, shop_reopened
from souk.shops.locks import shop_lock
from souk.shops.models import Shop, ShopMember

SHOP_FIELDS = ("name", "description", "location", "address", "phone", "email")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: data[key] for key in SHOP_FIELDS if key in data}
    if "name" in values:
        values["name"] = values["name"].strip()
        if not values["name"]:
            raise ValidationError({"name": ["This field may not be blank."]})
    if values.get("phone"):
        try:
            values["phone"] = normalize_phone(values["phone"])
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
    if values.get("email"):
        values["email"] = normalize_email(values["email"])
    if values.get("location") is not None:
        values["location"] = point_safe(values["location"])
    return values


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "shop"
    taken = set(Shop.all_objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def shop_create(*, owner: User, data: dict[str, Any]) -> Shop:
    """Open a shop; the caller becomes its owner. Only artisans open shops."""
    if owner.role != User.Role.ARTISAN:
        raise PermissionDeniedError("Only artisans can open shops.")
    values = _clean(data)
    slug = _unique_slug(values["name"])
    try:
        return _insert_shop(owner, slug, values)
    except IntegrityError:  # a concurrent shop took the slug between check and insert
        return _insert_shop(owner, f"{slug}-{secrets.token_hex(3)}", values)


def _insert_shop(owner: User, slug: str, values: dict[str, Any]) -> Shop:
    with transaction.atomic():
        shop = Shop.objects.create(owner=owner, slug=slug, **values)
        ShopMember.objects.create(shop=shop, user=owner, role=ShopMember.Role.OWNER)
    return shop


def shop_update(*, shop: Shop, data: dict[str, Any]) -> Shop:
    values = _clean(data)
    with transaction.atomic():
        model_update(instance=shop, fields=SHOP_FIELDS, data=values)
    return shop


def shop_delete(*, shop: Shop) -> None:
    """Close a shop: it and its live products disappear from listings; history keeps them.
    Products are stamped with the shop's deletion time so that a restore brings back exactly
    those."""
    with transaction.atomic():
        locked = shop_lock(shop_id=shop.pk)
        if locked is None:
            return
        now = timezone.now()
        Shop.all_objects.filter(pk=shop.pk).update(deleted_at=now)
        shop_closed.handler(shop_id=shop.pk, at=now)
        shop.deleted_at = now


def shop_restore(*, shop: Shop) -> Shop:
    """Reopen a closed shop (administrators): it and the products closing it hid return."""
    with transaction.atomic():
        locked = shop_lock(shop_id=shop.pk, deleted=True)
        if locked is None or locked.deleted_at is None:
            return shop
        shop_reopened.handler(shop_id=shop.pk, deleted_at=locked.deleted_at)
        locked.restore()
        shop.deleted_at = None
    return shop


def shop_product_count_adjust(*, shop_id: int, delta: int) -> None:
    if delta:
        Shop.all_objects.filter(pk=shop_id).update(product_count=F("product_count") + delta)


def staff_add(*, shop: Shop, email: str) -> ShopMember:
    try:
        address = normalize_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    user = User.objects.filter(email=address, is_active=True).first()
    if user is None:
        raise ValidationError({"email": ["No active account has this email address."]})
    try:
        with transaction.atomic():
            return ShopMember.objects.create(shop=shop, user=user, role=ShopMember.Role.STAFF)
    except IntegrityError as exc:
        raise ValidationError({"email": ["This person is already a member of the shop."]}) from exc


def staff_remove(*, shop: Shop, user_id: int) -> None:
    member = ShopMember.objects.filter(shop=shop, user_id=user_id).first()
    if member is None:
        raise NotFound("No such staff member.")
    if member.role == ShopMember.Role.OWNER:
        raise Conflict("The owner cannot be removed from the shop.")
    member.soft_delete()


def staff_restore(*, member: ShopMember) -> ShopMember:
    """Undo a staff removal (administrators); 409 if the person was added again since."""
    with transaction.atomic():
        member.restore()
    return member
