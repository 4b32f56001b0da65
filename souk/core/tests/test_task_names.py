"""Queued messages and the beat schedule name tasks by their registered names, which stay
stable whatever the task functions are called."""

from django.conf import settings

from config.celery import app

REGISTERED = {
    "souk.accounts.tasks.otp_codes_prune",
    "souk.analytics.tasks.marketplace_refresh",
    "souk.analytics.tasks.rollup_reconcile",
    "souk.accounts.tasks.otp_send",
    "souk.catalog.tasks.category_products_reindex",
    "souk.catalog.tasks.discovery_maps_rebuild",
    "souk.core.tasks.idempotency_prune",
    "souk.inventory.tasks.alerts_rescan",
    "souk.orders.tasks.orders_expire",
    "souk.notifications.tasks.outbox_dispatch",
    "souk.notifications.tasks.outbox_prune",
    "souk.payments.tasks.payments_reconcile",
    "souk.payments.tasks.refund_send",
}


def test_every_task_keeps_its_registered_name():
    app.loader.import_default_modules()

    ours = {name for name in app.tasks if name.startswith("souk.")}

    assert ours == REGISTERED


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled == {
        "souk.accounts.tasks.otp_codes_prune",
        "souk.analytics.tasks.marketplace_refresh",
        "souk.analytics.tasks.rollup_reconcile",
        "souk.catalog.tasks.discovery_maps_rebuild",
        "souk.core.tasks.idempotency_prune",
        "souk.inventory.tasks.alerts_rescan",
        "souk.notifications.tasks.outbox_dispatch",
        "souk.notifications.tasks.outbox_prune",
        "souk.orders.tasks.orders_expire",
        "souk.payments.tasks.payments_reconcile",
    }
    assert scheduled <= set(app.tasks)
