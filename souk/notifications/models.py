"""In-app notifications, each user's choice of channels, and the outbox of messages that leave
the process (email, SMS).

A domain change writes its notifications and outbox messages in its own transaction (see
souk.notifications.services.record); workers deliver the outbox afterwards (see
souk.notifications.services.dispatch)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ORDER_PLACED = "order_placed", _("Order placed")
    ORDER_PAID = "order_paid", _("Order paid")
    ORDER_SHIPPED = "order_shipped", _("Order shipped")
    ORDER_DELIVERED = "order_delivered", _("Order delivered")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    ORDER_EXPIRED = "order_expired", _("Order expired")
    REFUND_ISSUED = "refund_issued", _("Refund issued")
    LOW_STOCK = "low_stock", _("Low stock")
    REVIEW_RECEIVED = "review_received", _("Review received")


# Kinds about an order or its money: the in-app notification cannot be switched off.
ORDER_KINDS = frozenset(
    {
        Kind.ORDER_PLACED,
        Kind.ORDER_PAID,
        Kind.ORDER_SHIPPED,
        Kind.ORDER_DELIVERED,
        Kind.ORDER_CANCELLED,
        Kind.ORDER_EXPIRED,
        Kind.REFUND_ISSUED,
    }
)


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


# What a user gets when they never chose: in the app and by email, no SMS.
DEFAULT_CHANNELS = {Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False}


class Notification(models.Model):
    """One entry of a user's in-app inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # What it is about: {order?, shop?, product?, variant?} (ids).
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The inbox, newest first; and filtered by kind.
            models.Index(fields=["recipient", "-id"], name="notification_inbox"),
            models.Index(fields=["recipient", "kind", "-id"], name="notification_inbox_kind"),
            # The unread count and the unread filter read only unread rows.
            models.Index(
                fields=["recipient", "-id"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.title}"


class Preference(models.Model):
    """A user's channels per kind, where they differ from DEFAULT_CHANNELS:
    `{kind: {channel: bool}}`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    choices = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class OutboxMessage(models.Model):
    """A message to one person over one channel, written in the transaction of the change it
    reports and delivered by the dispatcher: at least once, marked sent only after the
    provider accepted it, retried with backoff, dead after OUTBOX_MAX_ATTEMPTS."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Dead (gave up)")
        # Not sent on purpose: the recipient was deactivated or has no address for the
        # channel any more, or what the message is about was deleted.
        SKIPPED = "skipped", _("Skipped")

    # Sent along with the message (Message-ID, the SMS provider's idempotency key), so that a
    # provider that dedupes drops a resend after a crash.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(
        max_length=8, choices=[(Channel.EMAIL, _("Email")), (Channel.SMS, _("SMS"))]
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # What the message is about, read when it is rendered: {order, event} or {shop, alerts}...
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Pending: when it may next be tried (a claimed message is leased until then).
    available_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The dispatcher walks pending messages in id order; the oldest is the lag.
            models.Index(fields=["id"], condition=Q(status="pending"), name="outbox_pending"),
            models.Index(fields=["status", "-id"], name="outbox_status"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} to {self.recipient_id} ({self.status})"
