from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "souk.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from souk.catalog import hooks as catalog
        from souk.inventory.services import variants

        catalog.variant_stock_initialize.register(variants.variant_stock_initialize)
        catalog.variant_stock_set.register(variants.variant_stock_set)
