"""Lock plans of core: the idempotency record claimed around a request."""

from __future__ import annotations

from souk.core.locking import lock_plan, lock_rows
from souk.core.models import IdempotencyRecord


@lock_plan("core.IdempotencyRecord")
def idempotency_record_lock(*, record_id: int) -> IdempotencyRecord | None:
    """The claimed record, locked for the rest of the request (None if it is gone)."""
    rows = lock_rows(IdempotencyRecord, [record_id], of_self=False)
    return rows[0] if rows else None
