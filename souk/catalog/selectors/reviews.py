"""Review reads."""

from __future__ import annotations

from django.db.models import QuerySet

from souk.catalog.models import Product, Review


def product_reviews(*, product: Product) -> QuerySet[Review]:
    return (
        Review.objects.filter(product=product)
        .select_related("customer")
        .order_by("-created_at", "-id")
    )


def review_get(*, product: Product, review_id: int) -> Review | None:
    return product_reviews(product=product).filter(pk=review_id).first()


def review_get_any(*, product: Product, review_id: int) -> Review | None:
    """Live or deleted (administrators restoring it)."""
    return (
        Review.all_objects.filter(product=product, pk=review_id).select_related("customer").first()
    )
