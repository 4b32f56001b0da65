"""Catalog background jobs: thin wrappers that call services; safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="souk.catalog.tasks.category_products_reindex")
def category_products_reindex_task(category_id: int) -> int:
    from souk.catalog.services.categories import category_products_text_refresh

    return category_products_text_refresh(category_id=category_id)


@shared_task(name="souk.catalog.tasks.discovery_maps_rebuild")
def discovery_maps_rebuild_task() -> dict[str, int]:
    """Recount the suggestion vocabulary and names and the density map from live products."""
    from souk.catalog.services.geocells import geo_cells_rebuild
    from souk.catalog.services.vocabulary import names_rebuild, terms_rebuild

    return {"terms": terms_rebuild(), "names": names_rebuild(), "cells": geo_cells_rebuild()}
