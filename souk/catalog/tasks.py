"""Catalog background jobs: thin wrappers that call services; safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task
def category_products_reindex(category_id: int) -> int:
    from souk.catalog.services.categories import category_products_text_refresh

    return category_products_text_refresh(category_id=category_id)


@shared_task
def search_terms_rebuild() -> int:
    from souk.catalog.services.vocabulary import terms_rebuild

    return terms_rebuild()
