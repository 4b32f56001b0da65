from __future__ import annotations

from decimal import Decimal

from django.contrib.gis.geos import Point
from django.utils.text import slugify

from souk.catalog.models import Category, Product, Variant
from souk.catalog.services.products import category_text
from souk.catalog.services.vocabulary import names_add, terms_add
from souk.inventory.models import StockMovement
from souk.shops.models import Shop


def make_category(name: str = "Ceramics", parent: Category | None = None) -> Category:
    values = {"name": name, "slug": slugify(f"{parent.slug}-{name}" if parent else name)}
    if parent is None:
        return Category.objects.add_root(values)
    return Category.objects.add_child(parent, values)


def make_product(
    *,
    shop: Shop,
    category: Category,
    name: str = "Stoneware Mug",
    description: str = "Wheel-thrown and glazed.",
    price: Decimal | str = "20.00",
    quantity: int = 5,
    attributes: dict | None = None,
    location: Point | None = None,
    variants: list[dict] | None = None,
) -> Product:
    """A product written straight to the database (no service), with its variants."""
    specs = variants or [{"price": price, "quantity": quantity, "attributes": {}}]
    product = Product.objects.create(
        shop=shop,
        category=category,
        category_text=category_text(category),
        name=name,
        slug=slugify(name),
        description=description,
        attributes=attributes or {},
        location=location or shop.location,
        price_min=min(Decimal(str(spec["price"])) for spec in specs),
    )
    for index, spec in enumerate(specs):
        variant = Variant.objects.create(
            product=product,
            shop=shop,
            sku=spec.get("sku") or f"P{product.pk}-{index + 1}",
            price=Decimal(str(spec["price"])),
            quantity=spec.get("quantity", 0),
            attributes=spec.get("attributes", {}),
            position=index,
        )
        if variant.quantity:  # opening stock enters the ledger, as the seed does
            StockMovement.objects.create(
                variant=variant,
                shop=shop,
                delta=variant.quantity,
                reason=StockMovement.Reason.ADJUSTMENT,
                reference="opening",
                quantity_after=variant.quantity,
            )
    Shop.objects.filter(pk=shop.pk).update(product_count=shop.products.count())
    terms_add(names=[product.name])  # as the product services do
    names_add(products=[product])
    return product
