"""Dispatching work that leaves the process only after the current transaction commits."""

from __future__ import annotations

from functools import partial
from typing import Any

from celery import Task, shared_task
from django.db import transaction


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Queue `task` once the surrounding transaction commits (at once outside one); if it
    rolls back, nothing is queued."""
    transaction.on_commit(partial(task.delay, *args, **kwargs))


@shared_task
def idempotency_prune() -> int:
    from souk.core.idempotency import idempotency_prune as prune

    return prune()
