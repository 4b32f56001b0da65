"""Dispatching work that leaves the process only after the current transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.db import transaction

logger = logging.getLogger("souk.tasks")


def enqueue_on_commit(task: Task, *args: Any, log_args: bool = True, **kwargs: Any) -> None:
    """Queue `task` once the surrounding transaction commits (at once outside one); if it
    rolls back, nothing is queued.

    The commit has happened by then, so a broker that cannot be reached must not turn the
    request into an error: the failure is logged (task name and arguments) and the request
    answers what it committed. With `log_args=False` (arguments that carry a secret, such as
    a one-time code) the task is logged by name alone."""

    def send() -> None:
        try:
            task.delay(*args, **kwargs)
        except Exception:
            if log_args:
                logger.exception(
                    "could not queue task %s args=%r kwargs=%r after commit",
                    task.name,
                    args,
                    kwargs,
                )
            else:
                logger.exception("could not queue task %s after commit", task.name)

    transaction.on_commit(send)


@shared_task(name="souk.core.tasks.idempotency_prune")
def idempotency_prune_task() -> int:
    from souk.core.idempotency import idempotency_prune

    return idempotency_prune()
