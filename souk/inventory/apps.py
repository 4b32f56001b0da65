from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "souk.inventory"
    label = "inventory"
    verbose_name = "Inventory"
