"""The category tree (administrators only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from souk.catalog.locks import category_lock
from souk.catalog.models import Category, Product
from souk.catalog.selectors.categories import category_cache_clear
from souk.catalog.tasks import category_products_reindex_task
from souk.core.exceptions import Conflict
from souk.core.tasks import enqueue_on_commit


def _unique_slug(name: str, exclude: int | None = None) -> str:
    base = slugify(name)[:110] or "category"
    taken = Category.objects.alive().filter(slug__startswith=base)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    used = set(taken.values_list("slug", flat=True))
    slug, n = base, 1
    while slug in used:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_name(name: str, parent: Category | None, exclude: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["This field may not be blank."]})
    siblings = (
        Category.objects.get_children(parent) if parent else Category.objects.get_root_nodes()
    ).filter(deleted_at__isnull=True)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.filter(name__iexact=name).exists():
        raise ValidationError({"name": ["A category with this name already exists here."]})
    return name


def category_create(*, name: str, parent: Category | None = None) -> Category:
    with transaction.atomic():
        name = _check_name(name, parent)
        values = {"name": name, "slug": _unique_slug(name)}
        category: Category = (
            Category.objects.add_child(parent, values)
            if parent
            else Category.objects.add_root(values)
        )
        transaction.on_commit(category_cache_clear, robust=True)
    return category


def category_update(
    *,
    category: Category,
    name: str | None = None,
    parent: Category | None = None,
    move: bool = False,
) -> Category:
    """Rename and/or move under `parent` (`move=True`, `parent=None` makes it a root)."""
    with transaction.atomic():
        category = category_lock(category_id=category.pk)
        if move:
            if parent is not None and (
                parent.pk == category.pk or parent.path.startswith(category.path)
            ):
                raise ValidationError({"parent": ["A category cannot move under itself."]})
            target_parent = parent
        else:
            target_parent = Category.objects.get_parent(category)
        if name is not None:
            category.name = _check_name(name, target_parent, exclude=category.pk)
            category.save(update_fields=["name"])
        if move:
            _check_name(category.name, target_parent, exclude=category.pk)
        if move or name is not None:
            _place_sorted(category, target_parent)
        transaction.on_commit(category_cache_clear, robust=True)
        enqueue_on_commit(category_products_reindex_task, category.pk)
    updated: Category = Category.objects.get(pk=category.pk)
    return updated


def _place_sorted(category: Category, parent: Category | None) -> None:
    """(Re)insert `category` under `parent` (None: among the roots) in name order; the tree
    keeps siblings sorted by their paths, which a rename alone does not update."""
    if parent is not None:
        Category.objects.move(category, parent, "sorted-child")
        return
    # Any other root will do, deleted or not: the tree keeps every node's path in order.
    other_root = Category.objects.get_root_nodes().exclude(pk=category.pk).first()
    if other_root is not None:
        Category.objects.move(category, other_root, "sorted-sibling")


def category_delete(*, category: Category) -> None:
    """Soft delete a category and its sub-categories, if no product (live or deleted) uses
    them."""
    with transaction.atomic():
        subtree = Category.objects.get_tree(category)
        if Product.all_objects.filter(category__in=subtree).exists():
            raise Conflict("Products still use this category or one below it; move them first.")
        subtree.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())
        transaction.on_commit(category_cache_clear, robust=True)


def category_restore(*, category: Category) -> Category:
    """Undo a soft delete (administrators): the category and the sub-categories deleted with
    it return. 409 while its parent is deleted, or if a live category has taken its name
    among its siblings or its slug."""
    with transaction.atomic():
        category = category_lock(category_id=category.pk)
        if category.deleted_at is None:
            return category
        parent = Category.objects.get_parent(category)
        if parent is not None and parent.is_deleted:
            raise Conflict("Its parent category is deleted; restore that first.")
        _check_name_free(category, parent)
        returning = Category.objects.get_tree(category).filter(deleted_at=category.deleted_at)
        try:
            with transaction.atomic():
                returning.update(deleted_at=None)
        except IntegrityError as exc:
            raise Conflict("A live category has taken the slug of one being restored.") from exc
        transaction.on_commit(category_cache_clear, robust=True)
    restored: Category = Category.objects.get(pk=category.pk)
    return restored


def _check_name_free(category: Category, parent: Category | None) -> None:
    try:
        _check_name(category.name, parent, exclude=category.pk)
    except ValidationError as exc:
        raise Conflict("A live category of the same name is already there.") from exc


def category_products_text_refresh(*, category_id: int) -> int:
    """Rewrite the searchable category text of products in this category and below (after
    a rename or move); their search vectors follow, being generated columns."""
    from souk.catalog.services.products import category_text

    root = Category.objects.filter(pk=category_id).first()
    if root is None:
        return 0
    updated = 0
    for node in Category.objects.get_tree(root):
        updated += Product.all_objects.filter(category=node).update(
            category_text=category_text(node)
        )
    return updated
