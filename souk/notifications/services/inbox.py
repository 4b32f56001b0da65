"""A user's in-app inbox: reading, marking read, deleting, and the unread count.

The unread count is served from the cache, computed from the partial index of unread rows on
a miss. Each user has a cache generation (`notifications:unread-gen:<user>`) and the count is
kept under the current one (`notifications:unread:<user>:<generation>`). Whatever changes a
user's unread rows moves the generation on after its transaction commits, so a count that was
read from the database before that commit, and stored after it, sits under a generation no
one reads any more. Entries also expire on their own, so a change lost with Redis heals
within UNREAD_TTL."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.core.cache import cache_write_on_commit
from souk.core.exceptions import NotFound
from souk.notifications.models import Notification

logger = logging.getLogger(__name__)

UNREAD_TTL = 300  # seconds


def _generation_key(user_id: int) -> str:
    return f"notifications:unread-gen:{user_id}"


def unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread."""
    try:
        generation = cache.get(_generation_key(user.pk), 0)
        key = f"notifications:unread:{user.pk}:{generation}"
        cached = cache.get(key)
    except Exception:  # Redis down: the database answers
        logger.warning("unread count cache unreachable", exc_info=True)
        key, cached = None, None
    if cached is not None:
        return int(cached)
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    if key is not None:
        try:
            cache.set(key, count, timeout=UNREAD_TTL)
        except Exception:
            logger.warning("unread count cache unreachable", exc_info=True)
    return count


def unread_forget(user_ids: Iterable[int]) -> None:
    """Give these users new cache generations (one round trip): their next count comes from
    the database."""
    try:
        cache.set_many(
            {_generation_key(user_id): uuid.uuid4().hex for user_id in user_ids}, timeout=None
        )
    except Exception:
        logger.warning("could not forget unread counts", exc_info=True)


def unread_forget_on_commit(user_ids: Iterable[int]) -> None:
    """Forget these users' unread counts once the current transaction commits (in the one
    pipeline of the transaction's cache writes, `souk.core.cache.cache_write_on_commit`)."""
    ids = sorted(set(user_ids))
    if not ids:
        return

    def forget(client: Any, pipeline: Any) -> None:
        for user_id in ids:
            client.set(_generation_key(user_id), uuid.uuid4().hex, timeout=None, client=pipeline)

    cache_write_on_commit(forget)


def notification_read(*, user: User, notification_id: int) -> None:
    """Mark one of the user's notifications read (again is harmless); someone else's is 404."""
    with transaction.atomic():
        found = Notification.objects.filter(pk=notification_id, recipient=user)
        if not found.exists():
            raise NotFound("No such notification.")
        if found.filter(read_at__isnull=True).update(read_at=timezone.now()):
            unread_forget_on_commit([user.pk])


def notifications_read_all(*, user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    with transaction.atomic():
        marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if marked:
            unread_forget_on_commit([user.pk])
    return marked


def notification_delete(*, user: User, notification_id: int) -> None:
    """Delete one of the user's notifications; someone else's is 404."""
    with transaction.atomic():
        deleted, _ = Notification.objects.filter(pk=notification_id, recipient=user).delete()
        if not deleted:
            raise NotFound("No such notification.")
        unread_forget_on_commit([user.pk])
