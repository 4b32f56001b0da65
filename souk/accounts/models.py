from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Self

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.gis.db import models as gis_models
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from souk.core.models import TimeStampedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=(username or "").strip().lower())


class User(AbstractBaseUser, PermissionsMixin):
    """Signs in with email (or phone). `role` says what the account is for; platform
    administrators are `is_staff`."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        ARTISAN = "artisan", "Artisan"
        ADMIN = "admin", "Administrator"

    email = models.EmailField(unique=True)
    phone = models.CharField(max_length=20, unique=True, null=True, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_email_verified = models.BooleanField(default=False)
    is_phone_verified = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Carried in every JWT; bumping it (password change or reset) revokes all tokens issued so far.
    token_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=~models.Q(phone=""), name="accounts_user_phone_not_blank"
            ),
        ]

    # True on a user built from the cached auth state (souk.accounts.services.auth_state):
    # reading one of its deferred fields loads every deferred field in one query.
    _defer_together = False

    def __str__(self) -> str:
        return self.email

    def refresh_from_db(
        self,
        using: str | None = None,
        fields: Iterable[str] | None = None,
        from_queryset: models.QuerySet[Self] | None = None,
    ) -> None:
        if self._defer_together and fields is not None:
            deferred = self.get_deferred_fields()
            fields = list(fields)
            if deferred and set(fields) <= deferred:
                fields = sorted(deferred)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()
        self.phone = self.phone or None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Address(TimeStampedModel):
    # The postal fields, in display order: what an order's shipping snapshot copies, what the
    # address book and the inline checkout address accept (with `location`), what admin shows.
    TEXT_FIELDS: ClassVar[tuple[str, ...]] = (
        "label",
        "recipient",
        "phone",
        "line1",
        "line2",
        "city",
        "region",
        "postal_code",
        "country",
    )

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=50, blank=True)
    recipient = models.CharField(max_length=150)
    phone = models.CharField(max_length=20, blank=True)
    line1 = models.CharField(max_length=255)
    line2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    location = gis_models.PointField(geography=True, srid=4326, null=True, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "-created_at", "-id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="accounts_address_one_default_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.recipient}: {self.line1}, {self.city}"


class OtpCode(TimeStampedModel):
    """A one-time code, stored as a keyed hash, single use, with a wrong-try budget."""

    class Purpose(models.TextChoices):
        LOGIN = "login", "Login"
        VERIFY = "verify", "Verify email or phone"
        RESET_PASSWORD = "reset_password", "Reset password"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="otp_codes")
    target = models.CharField(max_length=254)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target", "purpose", "-created_at"], name="accounts_otp_lookup"),
            models.Index(fields=["expires_at"], name="accounts_otp_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.target}"
