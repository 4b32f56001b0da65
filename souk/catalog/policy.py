"""Who may change a shop's catalog and its reviews.

A shop's members (owner or staff) and platform administrators change its products, variants
and images. A review is deleted by its author or an administrator; a shop's members never
review its products.
"""

from __future__ import annotations

from typing import Any

from souk.catalog.models import Product, Review
from souk.core.exceptions import PermissionDeniedError
from souk.core.permissions import is_platform_admin
from souk.shops.models import Shop
from souk.shops.policy import can_manage_shop, is_member


def can_edit_catalog(user: Any, shop: Shop) -> bool:
    return can_manage_shop(user, shop)


def require_catalog_editor(*, user: Any, shop: Shop) -> None:
    if not can_edit_catalog(user, shop):
        raise PermissionDeniedError(
            "Only members of this shop or administrators may change its catalog."
        )


def is_reviewing_own_shop(user: Any, product: Product) -> bool:
    """Members of a shop do not review its products."""
    return is_member(user, product.shop)


def can_delete_review(user: Any, review: Review) -> bool:
    if is_platform_admin(user):
        return True
    return bool(user and user.is_authenticated and review.customer_id == user.pk)


def require_review_delete(*, user: Any, review: Review) -> None:
    if not can_delete_review(user, review):
        raise PermissionDeniedError("Only the review's author or administrators delete it.")
