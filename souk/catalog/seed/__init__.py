"""The demo category tree, and the words that the demo and benchmark catalogs are made of (the
bulk loader that uses them is `souk.inventory.seed`, as it also opens the stock ledger)."""

from __future__ import annotations

from django.utils.text import slugify

from souk.catalog.models import Category
from souk.catalog.seed import vocabulary as v


def categories_ensure() -> dict[tuple[str, ...], Category]:
    """The demo category tree (two levels), created where missing."""
    nodes: dict[tuple[str, ...], Category] = {}
    for path in v.CATALOG:
        for depth in range(1, len(path) + 1):
            key = path[:depth]
            if key in nodes:
                continue
            parent = nodes.get(key[:-1])
            siblings = (
                Category.objects.get_children(parent)
                if parent
                else Category.objects.get_root_nodes()
            )
            node = siblings.filter(name=key[-1], deleted_at__isnull=True).first()
            if node is None:
                slug = slugify("-".join(key))[:120]
                node = (
                    Category.objects.add_child(parent, {"name": key[-1], "slug": slug})
                    if parent
                    else Category.objects.add_root({"name": key[-1], "slug": slug})
                )
            nodes[key] = node
    return nodes
