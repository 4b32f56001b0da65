"""Base models shared by every app: timestamps and soft delete."""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from souk.core.exceptions import Conflict

_M = TypeVar("_M", bound=models.Model)


class TimeStampedModel(models.Model):
    # Not indexed here: each model indexes the orderings it serves (often with other columns).
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet[_M]):
    def alive(self) -> SoftDeleteQuerySet[_M]:
        return self.filter(deleted_at__isnull=True)

    def dead(self) -> SoftDeleteQuerySet[_M]:
        return self.filter(deleted_at__isnull=False)

    def soft_delete(self) -> int:
        return self.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())

    def restore(self) -> int:
        return self.filter(deleted_at__isnull=False).update(deleted_at=None)


SoftDeleteManagerBase = models.Manager.from_queryset(SoftDeleteQuerySet)


class AliveManager(SoftDeleteManagerBase[_M]):
    """Default manager: hides soft-deleted rows."""

    def get_queryset(self) -> SoftDeleteQuerySet[_M]:
        return SoftDeleteQuerySet(self.model, using=self._db).filter(deleted_at__isnull=True)


class AllObjectsManager(SoftDeleteManagerBase[_M]):
    """Every row, deleted or not (admin, history)."""


class SoftDeleteModel(models.Model):
    """Rows are hidden instead of deleted, so that history (order lines) keeps pointing at them.

    `objects` hides deleted rows; `all_objects` sees everything. Related-object access from
    history (`order_line.product`) goes through the base manager, which sees deleted rows too.
    """

    # Not indexed alone (mostly NULL): models use partial indexes `WHERE deleted_at IS NULL`.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AliveManager()
    all_objects = AllObjectsManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def soft_delete(self) -> None:
        if self.deleted_at is None:
            self.deleted_at = timezone.now()
            self.save(update_fields=["deleted_at"])

    def restore(self) -> None:
        """Bring the row back. A live row that has taken its unique place meanwhile (the same
        SKU, a new review, a re-added member) makes this a `Conflict`, and nothing changes."""
        if self.deleted_at is None:
            return
        try:
            with transaction.atomic():
                type(self).all_objects.filter(pk=self.pk).update(deleted_at=None)
        except IntegrityError as exc:
            raise Conflict(
                f"A live {self._meta.verbose_name} already takes this one's place."
            ) from exc
        self.deleted_at = None


class IdempotencyRecord(models.Model):
    """The first response to a request made with an `Idempotency-Key`, replayed for 24 hours
    to retries of the same request by the same caller."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=100, help_text="Method and route of the request.")
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # JSON text as first sent (a jsonb column would reorder its keys on replay).
    response_body = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="core_idempotency_unique"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="core_idempotency_created")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} ({self.state})"
