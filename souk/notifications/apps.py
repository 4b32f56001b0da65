from dataclasses import asdict
from typing import Any

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "souk.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from souk.catalog.hooks import review_received
        from souk.core.metrics import SCRAPE_COLLECTORS
        from souk.core.views import READINESS_DETAILS
        from souk.inventory.hooks import low_stock_raised
        from souk.notifications.services import record
        from souk.notifications.services.dispatch import outbox_metrics, outbox_state
        from souk.orders.hooks import order_events_recorded

        order_events_recorded.register(record.order_events_record)
        low_stock_raised.register(record.low_stock_record)
        review_received.register(record.review_record)

        def outbox() -> dict[str, Any]:
            return asdict(outbox_state())

        READINESS_DETAILS["outbox"] = outbox
        SCRAPE_COLLECTORS["outbox"] = outbox_metrics
