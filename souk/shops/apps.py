from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "souk.shops"
    label = "shops"
    verbose_name = "Shops"
