"""Product reviews by customers who received the product; product and shop ratings (and the
search quality score) kept current in the same transaction."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count

from souk.accounts.models import User
from souk.catalog import policy
from souk.catalog.hooks import customer_received, review_received
from souk.catalog.locks import shop_product_lock
from souk.catalog.models import SCORE_PRIOR_MEAN, SCORE_PRIOR_WEIGHT, Product, Review
from souk.catalog.services.vocabulary import names_rescore
from souk.core.exceptions import Conflict, PermissionDeniedError
from souk.shops.models import Shop

TWO = Decimal("0.01")


def _average(total: float | None) -> Decimal:
    return Decimal(str(total or 0)).quantize(TWO, rounding=ROUND_HALF_UP)


def review_create(
    *, customer: User, product: Product, rating: int, title: str = "", body: str = ""
) -> Review:
    if not customer_received.handler(user=customer, product_id=product.pk):
        raise PermissionDeniedError("Only customers who received this product may review it.")
    if policy.is_reviewing_own_shop(customer, product):
        raise PermissionDeniedError("Members of a shop do not review its products.")
    with transaction.atomic():
        locked, shop = _lock(product, deleted=False)
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    product=locked, customer=customer, rating=rating, title=title, body=body
                )
        except IntegrityError as exc:
            raise Conflict("You have already reviewed this product.") from exc
        _ratings_refresh(locked, shop)
        review_received.handler(review=review)
    return review


def _ratings_refresh(locked: Product, shop: Shop) -> None:
    """Recompute the product's and its shop's ratings from their live reviews (inside a
    transaction holding the shop's and the product's locks)."""
    stats = Review.objects.filter(product=locked).aggregate(avg=Avg("rating"), n=Count("id"))
    count = stats["n"]
    total = (stats["avg"] or 0) * count
    locked.rating = _average(stats["avg"])
    locked.review_count = count
    locked.search_score = (SCORE_PRIOR_MEAN * SCORE_PRIOR_WEIGHT + total) / (
        SCORE_PRIOR_WEIGHT + count
    )
    locked.save(update_fields=["rating", "review_count", "search_score", "updated_at"])
    names_rescore(product=locked)
    shop_stats = Review.objects.filter(product__shop=shop).aggregate(
        avg=Avg("rating"), n=Count("id")
    )
    shop.rating = _average(shop_stats["avg"])
    shop.review_count = shop_stats["n"]
    shop.save(update_fields=["rating", "review_count", "updated_at"])


def _lock(product: Product, *, deleted: bool = True) -> tuple[Product, Shop]:
    locked = shop_product_lock(shop_id=product.shop_id, product_id=product.pk, deleted=deleted)
    return locked.product, locked.shop


def review_delete(*, actor: User, review: Review) -> None:
    """Soft delete (its author or an administrator); the ratings forget it."""
    policy.require_review_delete(user=actor, review=review)
    with transaction.atomic():
        locked, shop = _lock(review.product)
        review.soft_delete()
        _ratings_refresh(locked, shop)


def review_restore(*, review: Review) -> Review:
    """Undo a review's soft delete (administrators); 409 if its author has written another
    review of the product since."""
    with transaction.atomic():
        locked, shop = _lock(review.product)
        review.restore()
        _ratings_refresh(locked, shop)
    return review
