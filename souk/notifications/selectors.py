"""Reading notifications: the inbox, scoped to its owner (everyone's only for administrators,
which the caller checks through `is_platform_admin`)."""

from __future__ import annotations

from django.db.models import QuerySet

from souk.accounts.models import User
from souk.notifications.models import Notification


def notifications(
    *, user: User, everyone: bool = False, unread: bool | None = None, kind: str | None = None
) -> QuerySet[Notification]:
    rows = Notification.objects.all() if everyone else Notification.objects.filter(recipient=user)
    if unread is True:
        rows = rows.filter(read_at__isnull=True)
    elif unread is False:
        rows = rows.filter(read_at__isnull=False)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-id")
