"""Products and their variants: create, edit, soft delete. Every product has at least one
live variant; `price_min` (lowest live variant price) and the shop's `product_count` are kept
here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.text import slugify

from souk.accounts.models import User
from souk.catalog.hooks import variant_stock_initialize, variant_stock_set
from souk.catalog.locks import product_lock, shop_product_lock
from souk.catalog.models import Category, Product, Variant
from souk.catalog.policy import require_catalog_editor
from souk.catalog.services.vocabulary import names_add, names_remove, terms_add
from souk.core.exceptions import Conflict
from souk.core.services import model_update
from souk.shops.geo import point_safe
from souk.shops.models import Shop
from souk.shops.services import shop_product_count_adjust

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
PRODUCT_FIELDS = ("name", "description", "category", "attributes", "location")
VARIANT_FIELDS = ("sku", "price", "attributes", "position")


def category_text(category: Category) -> str:
    """The category and its ancestors, as searchable text ("Home Ceramics Mugs")."""
    names = [node.name for node in Category.objects.get_ancestors(category)] + [category.name]
    return " ".join(names)[:300]


def _check_sku(sku: str, field: str = "sku") -> str:
    sku = sku.strip()
    if not SKU_PATTERN.match(sku):
        raise ValidationError(
            {
                field: [
                    "Use 1-64 letters, digits, '.', '_', '/' or '-', "
                    "starting with a letter or digit."
                ]
            }
        )
    return sku


def _sku_conflict(shop: Shop, skus: Sequence[str], exclude: int | None = None) -> list[str]:
    taken = Variant.objects.filter(shop=shop, sku__in=list(skus))
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    return sorted(taken.values_list("sku", flat=True))


def _refresh_price_min(product: Product) -> None:
    lowest = Variant.objects.filter(product=product).aggregate(low=Min("price"))["low"]
    product.price_min = lowest if lowest is not None else Decimal("0")
    Product.all_objects.filter(pk=product.pk).update(price_min=product.price_min)


def _lock_product(product: Product) -> Product:
    return product_lock(product_id=product.pk)


def _variant_specs(data: dict[str, Any]) -> list[dict[str, Any]]:
    if data.get("variants"):
        return [dict(spec) for spec in data["variants"]]
    return [
        {
            "sku": data.get("sku") or "",
            "price": data["price"],
            "quantity": data.get("quantity", 0),
            "attributes": {},
        }
    ]


def product_create(*, actor: User, data: dict[str, Any]) -> Product:
    """Create a product with its variants (one default variant for a simple product)."""
    shop: Shop = data["shop"]
    require_catalog_editor(user=actor, shop=shop)
    category: Category = data["category"]
    specs = _variant_specs(data)
    field = "variants" if data.get("variants") else "sku"
    given = [_check_sku(spec["sku"], field) for spec in specs if spec.get("sku")]
    if len(given) != len(set(given)):
        raise ValidationError({"variants": ["Each variant needs a different SKU."]})
    with transaction.atomic():
        product = Product.objects.create(
            shop=shop,
            category=category,
            category_text=category_text(category),
            name=data["name"].strip(),
            slug=slugify(data["name"])[:220] or "product",
            description=data.get("description", ""),
            attributes=data.get("attributes") or {},
            location=point_safe(data.get("location") or shop.location),
        )
        for index, spec in enumerate(specs):
            spec["sku"] = spec.get("sku") or (
                f"P{product.pk}" if len(specs) == 1 else f"P{product.pk}-{index + 1}"
            )
        taken = _sku_conflict(shop, [spec["sku"] for spec in specs])
        if taken:
            raise ValidationError({"sku": [f"SKU already used in this shop: {', '.join(taken)}."]})
        try:
            with transaction.atomic():
                variants = Variant.objects.bulk_create(
                    [
                        Variant(
                            product=product,
                            shop=shop,
                            sku=spec["sku"],
                            price=spec["price"],
                            quantity=0,
                            attributes=spec.get("attributes") or {},
                            position=index,
                        )
                        for index, spec in enumerate(specs)
                    ]
                )
        except IntegrityError as exc:  # a concurrent create took one of the SKUs
            raise ValidationError({"sku": ["SKU already used in this shop."]}) from exc
        for variant, spec in zip(variants, specs, strict=True):
            variant_stock_initialize.handler(
                variant=variant, quantity=spec.get("quantity", 0), actor=actor
            )
        _refresh_price_min(product)
        shop_product_count_adjust(shop_id=shop.pk, delta=1)
        terms_add(names=[product.name])
        names_add(products=[product])
    return product


def product_update(*, actor: User, product: Product, data: dict[str, Any]) -> Product:
    require_catalog_editor(user=actor, shop=product.shop)
    with transaction.atomic():
        product = _lock_product(product)
        old_name = product.name
        values = {field: data[field] for field in PRODUCT_FIELDS if data.get(field) is not None}
        if "name" in values:
            values["name"] = values["name"].strip()
            if values["name"] != old_name:
                values["slug"] = slugify(values["name"])[:220] or "product"
        if "location" in values:
            values["location"] = point_safe(values["location"])
        if "category" in values:
            values["category_text"] = category_text(values["category"])
        model_update(
            instance=product, fields=[*PRODUCT_FIELDS, "slug", "category_text"], data=values
        )
        if product.name != old_name:
            terms_add(names=[product.name])
            names_remove(product=product, name=old_name)
            names_add(products=[product])
        if "price" in data or "quantity" in data:
            _update_single_variant(actor=actor, product=product, data=data)
    return product


def _update_single_variant(*, actor: User, product: Product, data: dict[str, Any]) -> None:
    variants = list(Variant.objects.filter(product=product)[:2])
    if len(variants) != 1:
        raise ValidationError(
            {"price": ["This product has several variants; change them one by one."]}
        )
    fields: dict[str, Any] = {key: data[key] for key in ("price", "quantity") if key in data}
    _variant_apply(actor=actor, product=product, variant=variants[0], data=fields)


def product_delete(*, actor: User, product: Product) -> None:
    """Soft delete: gone from listings and carts; order history keeps pointing at it."""
    require_catalog_editor(user=actor, shop=product.shop)
    with transaction.atomic():
        product = shop_product_lock(shop_id=product.shop_id, product_id=product.pk).product
        now = timezone.now()
        Variant.objects.filter(product=product).update(deleted_at=now)
        Product.objects.filter(pk=product.pk).update(deleted_at=now)
        shop_product_count_adjust(shop_id=product.shop_id, delta=-1)
        names_remove(product=product, name=product.name)


def product_restore(*, product: Product) -> Product:
    """Undo a soft delete (administrators): the product and the variants deleted with it
    return. 409 while its shop is closed (restore the shop) or when a live variant has taken
    one of its SKUs."""
    with transaction.atomic():
        locked = shop_product_lock(
            shop_id=product.shop_id, product_id=product.pk, deleted=True
        ).product
        if locked.deleted_at is None:
            return locked
        if Shop.all_objects.filter(pk=locked.shop_id, deleted_at__isnull=False).exists():
            raise Conflict("Its shop is closed; restore the shop first.")
        try:
            with transaction.atomic():
                Variant.all_objects.filter(product=locked, deleted_at=locked.deleted_at).update(
                    deleted_at=None
                )
        except IntegrityError as exc:
            raise Conflict("A live variant of the shop has taken one of its SKUs.") from exc
        locked.restore()
        _refresh_price_min(locked)
        shop_product_count_adjust(shop_id=locked.shop_id, delta=1)
        names_add(products=[locked])
    product.deleted_at = None
    return locked


def products_soft_delete_for_shop(*, shop_id: int, at: datetime) -> int:
    Variant.objects.filter(shop_id=shop_id).update(deleted_at=at)
    count: int = Product.objects.filter(shop_id=shop_id).update(deleted_at=at)
    Shop.all_objects.filter(pk=shop_id).update(product_count=0)
    return count


def products_restore_for_shop(*, shop_id: int, deleted_at: datetime) -> int:
    """Bring back the products (and variants) that closing the shop hid; 409 if a live
    variant has taken one of their SKUs."""
    try:
        with transaction.atomic():
            Variant.all_objects.filter(shop_id=shop_id, deleted_at=deleted_at).update(
                deleted_at=None
            )
    except IntegrityError as exc:
        raise Conflict("A live variant of the shop has taken one of its SKUs.") from exc
    count: int = Product.all_objects.filter(shop_id=shop_id, deleted_at=deleted_at).update(
        deleted_at=None
    )
    shop_product_count_adjust(shop_id=shop_id, delta=count)
    return count


def _free_sku(product: Product) -> str:
    """`P<product>-<n>` with the first n no variant (live or deleted) of the product used."""
    used = set(Variant.all_objects.filter(product=product).values_list("sku", flat=True))
    used |= set(
        Variant.objects.filter(
            shop_id=product.shop_id, sku__startswith=f"P{product.pk}-"
        ).values_list("sku", flat=True)
    )
    n = len(used) + 1
    while f"P{product.pk}-{n}" in used:
        n += 1
    return f"P{product.pk}-{n}"


def variant_create(*, actor: User, product: Product, data: dict[str, Any]) -> Variant:
    require_catalog_editor(user=actor, shop=product.shop)
    with transaction.atomic():
        product = _lock_product(product)
        position = Variant.objects.filter(product=product).count()
        sku = _check_sku(data["sku"]) if data.get("sku") else _free_sku(product)
        if _sku_conflict(product.shop, [sku]):
            raise ValidationError({"sku": ["SKU already used in this shop."]})
        try:
            with transaction.atomic():
                variant = Variant.objects.create(
                    product=product,
                    shop_id=product.shop_id,
                    sku=sku,
                    price=data["price"],
                    quantity=0,
                    attributes=data.get("attributes") or {},
                    position=data.get("position", position),
                )
        except IntegrityError as exc:
            raise ValidationError({"sku": ["SKU already used in this shop."]}) from exc
        variant_stock_initialize.handler(
            variant=variant, quantity=data.get("quantity", 0), actor=actor
        )
        _refresh_price_min(product)
    return variant


def _variant_apply(
    *, actor: User, product: Product, variant: Variant, data: dict[str, Any]
) -> Variant:
    """Inside a transaction holding the product lock."""
    values: dict[str, Any] = {}
    if "sku" in data and data["sku"] != variant.sku:
        sku = _check_sku(data["sku"])
        if _sku_conflict(product.shop, [sku], exclude=variant.pk):
            raise ValidationError({"sku": ["SKU already used in this shop."]})
        values["sku"] = sku
    for field in ("price", "attributes", "position"):
        if data.get(field) is not None:
            values[field] = data[field]
    if values:
        try:
            with transaction.atomic():
                model_update(instance=variant, fields=VARIANT_FIELDS, data=values)
        except IntegrityError as exc:
            raise ValidationError({"sku": ["SKU already used in this shop."]}) from exc
    if "quantity" in data:
        variant_stock_set.handler(variant=variant, quantity=data["quantity"], actor=actor)
    if "price" in values:
        _refresh_price_min(product)
    return variant


def variant_update(
    *, actor: User, product: Product, variant: Variant, data: dict[str, Any]
) -> Variant:
    require_catalog_editor(user=actor, shop=product.shop)
    with transaction.atomic():
        product = _lock_product(product)
        variant = Variant.objects.get(pk=variant.pk)
        return _variant_apply(actor=actor, product=product, variant=variant, data=data)


def variant_delete(*, actor: User, product: Product, variant: Variant) -> None:
    require_catalog_editor(user=actor, shop=product.shop)
    with transaction.atomic():
        product = _lock_product(product)
        if Variant.objects.filter(product=product).count() <= 1:
            raise Conflict("A product keeps at least one variant; delete the product instead.")
        Variant.objects.filter(pk=variant.pk).update(deleted_at=timezone.now())
        _refresh_price_min(product)


def variant_restore(*, product: Product, variant: Variant) -> Variant:
    """Undo a variant's soft delete (administrators); 409 if a live variant took its SKU."""
    with transaction.atomic():
        product = _lock_product(product)
        variant.restore()
        _refresh_price_min(product)
    return variant
