from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "souk.orders"
    label = "orders"
    verbose_name = "Orders"
