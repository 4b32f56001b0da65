from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from souk.core.models import SoftDeleteModel, TimeStampedModel
from souk.core.search import SetWeight, TsConcat, TsVector


class Shop(SoftDeleteModel, TimeStampedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_shops"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    location = gis_models.PointField(geography=True, srid=4326, spatial_index=False)
    address = models.CharField(max_length=255)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    rating = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    review_count = models.PositiveIntegerField(default=0)
    # Live (not deleted) products; kept by the catalog services.
    product_count = models.PositiveIntegerField(default=0)
    search_vector = models.GeneratedField(
        expression=TsConcat(
            SetWeight(TsVector("name"), "A"), SetWeight(TsVector("description"), "B")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        indexes = [
            GinIndex(fields=["search_vector"], name="shops_shop_search_gin"),
            GistIndex(
                fields=["location"],
                name="shops_shop_location_gist",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def member_role(self, user: Any) -> str | None:
        """'owner', 'staff' or None; the contract core.permissions relies on."""
        if not getattr(user, "is_authenticated", False):
            return None
        cache: dict[int, str | None] = self.__dict__.setdefault("_member_roles", {})
        if user.pk not in cache:
            cache[user.pk] = (
                ShopMember.objects.filter(shop_id=self.pk, user_id=user.pk)
                .values_list("role", flat=True)
                .first()
            )
        return cache[user.pk]


class ShopMember(SoftDeleteModel, TimeStampedModel):
    """A user's role in a shop. Removing staff is a soft delete: the row stays for history,
    grants nothing, and the person can be added again (or restored)."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices)

    class Meta:
        ordering = ["shop_id", "role", "id"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "user"],
                condition=models.Q(deleted_at__isnull=True),
                name="shops_member_unique",
            ),
            models.UniqueConstraint(
                fields=["shop"],
                condition=models.Q(role="owner", deleted_at__isnull=True),
                name="shops_member_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.shop_id}"
