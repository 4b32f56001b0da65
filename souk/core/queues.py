"""Declaring every task queue when a worker starts, on RabbitMQ.

A worker declares the queues it consumes, then binds every queue of the app to RabbitMQ's
native delayed delivery exchanges (task retries with a countdown on quorum queues). A queue
that no worker has declared yet cannot be bound (404), which a worker started with `-Q slow`
on a new virtual host would log as an error for the other three. Declaring them all first
(idempotent, with the same arguments) makes every worker bind every queue."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("souk.queues")


def declare_all_queues(sender: Any = None, instance: Any = None, **_: Any) -> None:
    """celeryd_after_setup handler: on an AMQP broker, declare every queue of the app. Never
    raises: a broker not up yet is the worker's own connection retry's business."""
    app = instance.app
    try:
        with app.connection_for_write() as connection:
            if connection.transport.driver_type != "amqp":
                return
            connection.ensure_connection(max_retries=3)
            channel = connection.default_channel
            for queue in app.amqp.queues.values():
                queue(channel).declare()
    except Exception:
        logger.warning("could not declare the task queues at start", exc_info=True)
