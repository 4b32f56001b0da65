"""The catalog policy, asked directly for every role."""

from __future__ import annotations

import pytest

from souk.catalog import policy
from souk.catalog.models import Product, Review
from souk.core.exceptions import PermissionDeniedError


def _fresh(product: Product) -> Product:
    """The product and its shop re-read, so no membership answer is remembered."""
    return Product.objects.select_related("shop").get(pk=product.pk)


@pytest.mark.parametrize(
    ("role", "editor"),
    [
        ("anonymous", False),
        ("customer", False),
        ("other_artisan", False),
        ("staff", True),
        ("artisan", True),
        ("removed_staff", False),
        ("admin_user", True),
    ],
)
def test_catalog_is_edited_by_members_and_admins(as_role, product, role, editor):
    user = as_role(role)

    assert policy.can_edit_catalog(user, _fresh(product).shop) is editor
    if editor:
        policy.require_catalog_editor(user=user, shop=_fresh(product).shop)
    else:
        with pytest.raises(PermissionDeniedError):
            policy.require_catalog_editor(user=user, shop=_fresh(product).shop)


@pytest.mark.parametrize(
    ("role", "own_shop"),
    [
        ("anonymous", False),
        ("customer", False),
        ("other_artisan", False),
        ("staff", True),
        ("artisan", True),
        ("removed_staff", False),
        ("admin_user", False),
    ],
)
def test_members_are_reviewing_their_own_shop(as_role, product, role, own_shop):
    assert policy.is_reviewing_own_shop(as_role(role), _fresh(product)) is own_shop


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", False),
        ("customer", True),
        ("other_customer", False),
        ("other_artisan", False),
        ("staff", False),
        ("artisan", False),
        ("removed_staff", False),
        ("admin_user", True),
    ],
)
def test_a_review_is_deleted_by_its_author_or_admins(as_role, customer, product, role, expected):
    review = Review.objects.create(product=product, customer=customer, rating=4)
    user = as_role(role)

    assert policy.can_delete_review(user, review) is expected
    if not expected:
        with pytest.raises(PermissionDeniedError):
            policy.require_review_delete(user=user, review=review)
