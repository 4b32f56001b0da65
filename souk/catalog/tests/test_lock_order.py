"""Shops and their products are locked in the one global order (souk.core.locks): closing a
shop and deleting one of its products at the same moment both finish, in either order, and
never deadlock (DESIGN.md 3)."""

from __future__ import annotations

import pytest

from souk.catalog.models import Product
from souk.catalog.services.products import product_delete, product_restore
from souk.core.exceptions import Conflict
from souk.core.tests.threads import run_together
from souk.shops.models import Shop
from souk.shops.services import shop_delete, shop_restore

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("threads")]

ROUNDS = 25


def test_closing_a_shop_while_its_product_is_deleted_never_deadlocks(
    artisan, shop_factory, product_factory, category
):
    for _ in range(ROUNDS):
        shop = shop_factory(owner=artisan)
        products = [product_factory(shop=shop, category=category) for _ in range(2)]

        gone: list[int] = []

        def delete_product(pk: int, gone: list[int] = gone) -> None:
            try:
                product_delete(actor=artisan, product=Product.all_objects.get(pk=pk))
            except Product.DoesNotExist:  # closing the shop deleted it first
                gone.append(pk)

        run_together(
            [
                lambda shop=shop: shop_delete(shop=Shop.objects.get(pk=shop.pk)),
                *[lambda pk=product.pk: delete_product(pk) for product in products],
            ]
        )

        assert set(gone) <= {product.pk for product in products}
        assert Shop.all_objects.get(pk=shop.pk).deleted_at is not None
        assert Product.objects.filter(shop=shop).count() == 0


def test_reopening_a_shop_while_its_product_is_restored_never_deadlocks(
    artisan, admin_user, shop_factory, product_factory, category
):
    for _ in range(ROUNDS):
        shop = shop_factory(owner=artisan)
        deleted = product_factory(shop=shop, category=category)
        product_delete(actor=artisan, product=deleted)
        kept = product_factory(shop=shop, category=category)
        shop_delete(shop=shop)

        refused: list[str] = []

        def restore_product(pk: int = deleted.pk, refused: list[str] = refused) -> None:
            try:
                product_restore(product=Product.all_objects.get(pk=pk))
            except Conflict as exc:  # the shop was still closed: a 409, never a deadlock
                refused.append(exc.code)

        run_together(
            [lambda shop=shop: shop_restore(shop=Shop.all_objects.get(pk=shop.pk)), restore_product]
        )

        assert set(refused) <= {"conflict"}
        assert Shop.objects.filter(pk=shop.pk).exists()
        assert Product.objects.filter(pk=kept.pk).exists()
