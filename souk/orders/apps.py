from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "souk.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from souk.catalog.hooks import customer_received
        from souk.orders.selectors import customer_received as received

        customer_received.register(received)
