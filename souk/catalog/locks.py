"""Lock plans of the catalog. The order they follow is `souk.core.locks.LOCK_ORDER`: a
product's shop comes before the product, so closing a shop and changing one of its products
wait for each other instead of deadlocking."""

from __future__ import annotations

from dataclasses import dataclass

from souk.catalog.models import Category, Product, SuggestName
from souk.core.locks import lock_first, lock_plan, lock_rows
from souk.shops.models import Shop


@dataclass(frozen=True)
class LockedProduct:
    shop: Shop
    product: Product


def _product(product_id: int, *, deleted: bool) -> Product:
    manager = Product.all_objects if deleted else Product.objects
    rows = lock_rows(manager.all(), [product_id])
    if not rows:
        raise Product.DoesNotExist("Product matching query does not exist.")
    return rows[0]


@lock_plan("catalog.Product")
def product_lock(*, product_id: int, deleted: bool = False) -> Product:
    """The product, locked (closed ones too when `deleted`); Product.DoesNotExist if gone.
    For changes that stay inside the product: its shop's row is not touched."""
    return _product(product_id, deleted=deleted)


@lock_plan("shops.Shop", "catalog.Product")
def shop_product_lock(*, shop_id: int, product_id: int, deleted: bool = False) -> LockedProduct:
    """The product's shop (open or closed), then the product (closed ones too when
    `deleted`), locked; for changes that also update the shop's counters or ratings.
    Product.DoesNotExist if the product is gone."""
    shops = lock_rows(Shop.all_objects.all(), [shop_id])
    if not shops:
        raise Shop.DoesNotExist("Shop matching query does not exist.")
    return LockedProduct(shop=shops[0], product=_product(product_id, deleted=deleted))


@lock_plan("catalog.Category")
def category_lock(*, category_id: int) -> Category:
    """The category (deleted or not), locked; Category.DoesNotExist if there is none."""
    rows = lock_rows(Category, [category_id], of_self=False)
    if not rows:
        raise Category.DoesNotExist("Category matching query does not exist.")
    return rows[0]


@lock_plan("catalog.SuggestName")
def suggest_name_lock(*, key: str) -> SuggestName | None:
    """The suggestion row of a name key, locked (None if there is none)."""
    return lock_first(SuggestName.objects.filter(key=key), of_self=False)
