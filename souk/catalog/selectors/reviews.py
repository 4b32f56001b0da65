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
