from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "souk.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from souk.analytics.services.rollup import revenue_changed
        from souk.orders.hooks import order_revenue_changed

        order_revenue_changed.register(revenue_changed)
