from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "souk.payments"
    label = "payments"
    verbose_name = "Payments"
