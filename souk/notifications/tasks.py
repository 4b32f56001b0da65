"""Notifications background jobs: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="souk.notifications.tasks.outbox_dispatch")
def outbox_dispatch_task() -> dict[str, int]:
    """Deliver due outbox messages (kicked after commit, and swept by beat). Safe to run
    several at once: each claims its own batch. When it stops at its time budget with
    messages still due, it queues a successor."""
    from souk.notifications.services.dispatch import dispatch_again, outbox_dispatch

    done = outbox_dispatch()
    if done.more:
        dispatch_again()
    return {
        "sent": done.sent,
        "retried": done.retried,
        "dead": done.dead,
        "skipped": done.skipped,
    }


@shared_task(name="souk.notifications.tasks.outbox_prune")
def outbox_prune_task() -> int:
    """Delete delivered and skipped messages past OUTBOX_KEEP_DAYS (daily)."""
    from souk.notifications.services.prune import outbox_prune

    return outbox_prune()
