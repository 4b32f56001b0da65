"""Lock plans of notifications (see souk.core.locks for the global order)."""

from __future__ import annotations

from django.db.models.functions import Now

from souk.accounts.models import User
from souk.core.locks import lock_first, lock_plan, lock_rows
from souk.notifications.models import OutboxMessage, Preference


@lock_plan("notifications.Preference")
def preference_lock(*, user: User) -> Preference:
    """The user's preference row, created if missing, locked for a read-modify-write."""
    Preference.objects.get_or_create(user=user)
    found = lock_first(Preference.objects.filter(user=user))
    if found is None:  # the user's row was deleted with the user meanwhile
        raise Preference.DoesNotExist
    return found


@lock_plan("notifications.OutboxMessage")
def outbox_due_lock(*, limit: int) -> list[OutboxMessage]:
    """Up to `limit` pending messages that are due, oldest first, skipping those another
    dispatcher holds: each dispatcher claims a batch of its own."""
    due = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, available_at__lte=Now()
    ).select_related("recipient")
    return lock_rows(due, skip_locked=True, limit=limit)
