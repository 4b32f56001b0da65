from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "souk.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from souk.orders.hooks import paid_order_cancelled
        from souk.payments.services.refunds import refund_for_cancelled

        paid_order_cancelled.register(refund_for_cancelled)
