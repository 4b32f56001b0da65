"""Category reads. The tree is small and read on every catalog page, so it is cached in Redis
and rebuilt after any change (see `category_cache_clear`)."""

from __future__ import annotations

from typing import Any

from souk.catalog.models import Category
from souk.core.cache import cache_delete_safe, cache_get_or_set_safe

TREE_KEY = "catalog:category-tree:v1"
TREE_TIMEOUT = 3600


def _flat_rows() -> list[dict[str, Any]]:
    rows = []
    parents: dict[int, int | None] = {}
    by_path: dict[str, int] = {}
    for node in Category.objects.get_tree().filter(deleted_at__isnull=True):
        parent_path = node.path[: -Category.steplen]
        parent_id = by_path.get(parent_path) if parent_path else None
        by_path[node.path] = node.pk
        parents[node.pk] = parent_id
        rows.append(
            {
                "id": node.pk,
                "name": node.name,
                "slug": node.slug,
                "parent": parent_id,
                "depth": node.depth,
                "path": node.path,
            }
        )
    return rows


def category_rows() -> list[dict[str, Any]]:
    """Every category in tree order: {id, name, slug, parent, depth, path}."""
    rows: list[dict[str, Any]] = cache_get_or_set_safe(TREE_KEY, _flat_rows, TREE_TIMEOUT)
    return rows


def category_tree() -> list[dict[str, Any]]:
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for row in category_rows():
        node = {"id": row["id"], "name": row["name"], "slug": row["slug"], "children": []}
        nodes[row["id"]] = node
        if row["parent"] is None:
            roots.append(node)
        else:
            nodes[row["parent"]]["children"].append(node)
    return roots


def category_descendant_ids(category_id: int) -> list[int]:
    """The category and every category below it (empty if it does not exist)."""
    rows = category_rows()
    path = next((row["path"] for row in rows if row["id"] == category_id), None)
    if path is None:
        return []
    return [row["id"] for row in rows if row["path"].startswith(path)]


def category_get(*, category_id: int) -> Category | None:
    category: Category | None = Category.objects.alive().filter(pk=category_id).first()
    return category


def category_get_any(*, category_id: int) -> Category | None:
    """Live or deleted (administrators restoring it)."""
    category: Category | None = Category.objects.filter(pk=category_id).first()
    return category


def category_cache_clear() -> None:
    cache_delete_safe(TREE_KEY)
