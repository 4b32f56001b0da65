from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "souk.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from souk.catalog.services.products import (
            products_restore_for_shop,
            products_soft_delete_for_shop,
        )
        from souk.shops.hooks import shop_closed, shop_reopened

        shop_closed.register(products_soft_delete_for_shop)
        shop_reopened.register(products_restore_for_shop)
