"""Payments through a gateway, their transaction log, refunds, and the offline sandbox
gateway's own records."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from souk.core.models import TimeStampedModel
from souk.orders.models import Checkout, Order


class Gateway(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox (offline)"
    PAYSTACK = "paystack", "Paystack"
    ZARINPAL = "zarinpal", "Zarinpal"


class Payment(TimeStampedModel):
    """One attempt to pay a checkout (all its orders) or one order through a gateway.

    `pending` until the gateway confirms it (`paid`) or says it did not happen (`failed`). A
    failed payment may still become paid if the gateway later confirms it: the money was
    taken, so it is captured (or refunded). `paid` is final; refunds are `Refund` rows.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    checkout = models.ForeignKey(
        Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    # Ours, sent to the gateway; unique per gateway.
    reference = models.CharField(max_length=64)
    # The gateway's handle for it (Zarinpal authority, Paystack access code), when it has one.
    authority = models.CharField(max_length=128, blank=True)
    # The gateway's id of the completed charge (Paystack transaction id, Zarinpal ref_id).
    gateway_transaction_id = models.CharField(max_length=128, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    redirect_url = models.URLField(max_length=1000, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "reference"], name="payments_payment_gateway_reference"
            ),
            models.UniqueConstraint(
                fields=["gateway", "authority"],
                condition=~Q(authority=""),
                name="payments_payment_gateway_authority",
            ),
            models.CheckConstraint(
                condition=Q(checkout__isnull=True, order__isnull=False)
                | Q(checkout__isnull=False, order__isnull=True),
                name="payments_payment_pays_one_thing",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payments_payment_amount"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="payments_payment_user"),
            models.Index(
                fields=["created_at"],
                name="payments_payment_pending",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.reference}"


class PaymentTransaction(models.Model):
    """The log of everything exchanged with a gateway about a payment (secrets and card data
    redacted before they are written)."""

    class Kind(models.TextChoices):
        REQUEST = "request", "Payment request"
        VERIFY = "verify", "Verification"
        CALLBACK = "callback", "Customer returned"
        WEBHOOK = "webhook", "Webhook"
        CAPTURE = "capture", "Captured"
        REFUND = "refund", "Refund"

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # What came of it: "ok", "paid", "failed", "error", "timeout", "mismatch", ...
    status = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    request = models.JSONField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # sha256 of a webhook body: the same delivery twice is recorded once.
    fingerprint = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.kind} {self.status}"


class Refund(TimeStampedModel):
    """Money going back for one order of a paid payment: sent to the gateway after commit,
    or left for an administrator to settle where the gateway has no refund API."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending to the gateway"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        MANUAL = "manual", "To settle by hand"

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=255)
    gateway_reference = models.CharField(max_length=128, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One refund per order and payment: a retried cancellation cannot refund twice.
            models.UniqueConstraint(
                fields=["payment", "order"],
                name="payments_refund_once",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payments_refund_amount"),
        ]
        indexes = [
            models.Index(
                fields=["updated_at"],
                name="payments_refund_open",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"refund of {self.order_id} ({self.status})"


class SandboxCharge(TimeStampedModel):
    """The offline sandbox gateway's side: what it was asked to charge and what the customer
    chose on its page. Stands in for a real gateway's records."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    reference = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=255, blank=True)
    callback_url = models.URLField(max_length=1000)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    refunded = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))

    def __str__(self) -> str:
        return self.reference
