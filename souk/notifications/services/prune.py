"""Keeping the outbox small: delivered and skipped messages are deleted once they are older
than OUTBOX_KEEP_DAYS (dead ones stay until an operator sends them again or deletes them)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

# Rows deleted per statement: short transactions, whatever the backlog.
PRUNE_BATCH = 5_000

_PRUNE_SQL = """
DELETE FROM notifications_outboxmessage
WHERE id IN (
    SELECT id FROM notifications_outboxmessage
    WHERE status IN ('sent', 'skipped') AND created_at < %s
    ORDER BY id
    LIMIT %s
)
"""


def outbox_prune() -> int:
    """Delete sent and skipped messages older than OUTBOX_KEEP_DAYS; how many went."""
    before = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    pruned = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_PRUNE_SQL, [before, PRUNE_BATCH])
            deleted = int(cursor.rowcount)
        pruned += deleted
        if deleted < PRUNE_BATCH:
            return pruned
