from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "souk.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from souk.catalog.hooks import customer_received
        from souk.inventory.hooks import units_reserved
        from souk.orders import selectors

        customer_received.register(selectors.customer_received)
        units_reserved.register(selectors.variant_units_reserved)
