"""Every catalog write route against every role.

Product, variant and image writes need membership of the product's shop (owner or staff) or
platform admin rights. Category writes and every restore are for platform admins only; a deleted
object is invisible (404) to everyone else. No credentials: 401. A refused request changes
nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from souk.catalog.api import urls as catalog_urls
from souk.catalog.models import Category, Product, ProductImage, Review, Variant
from souk.catalog.tests.factories import make_category
from souk.shops.models import Shop

PROBLEM = "application/problem+json"
ROLES = ("anonymous", "customer", "other_customer", "other_artisan", "staff", "owner", "admin")
USER_FIXTURES = {
    "customer": "customer",
    "other_customer": "other_customer",
    "other_artisan": "other_artisan",
    "staff": "staff",
    "owner": "artisan",
    "admin": "admin_user",
}

# route               anonymous customer other_cust other_art staff owner admin
MATRIX = [
    ("product-create", 401, 403, 403, 403, 201, 201, 201),
    ("product-update", 401, 403, 403, 403, 200, 200, 200),
    ("product-delete", 401, 403, 403, 403, 204, 204, 204),
    ("variant-create", 401, 403, 403, 403, 201, 201, 201),
    ("variant-update", 401, 403, 403, 403, 200, 200, 200),
    ("variant-delete", 401, 403, 403, 403, 204, 204, 204),
    ("image-upload", 401, 403, 403, 403, 201, 201, 201),
    ("image-delete", 401, 403, 403, 403, 204, 204, 204),
    ("category-create", 401, 403, 403, 403, 403, 403, 201),
    ("category-update", 401, 403, 403, 403, 403, 403, 200),
    ("category-delete", 401, 403, 403, 403, 403, 403, 204),
    ("review-delete", 401, 204, 403, 403, 403, 403, 204),
    # Restores act on deleted objects, which only admins see.
    ("product-restore", 401, 404, 404, 404, 404, 404, 200),
    ("variant-restore", 401, 404, 404, 404, 404, 404, 200),
    ("image-restore", 401, 404, 404, 404, 404, 404, 200),
    ("category-restore", 401, 404, 404, 404, 404, 404, 200),
    ("review-restore", 401, 404, 404, 404, 404, 404, 200),
]
CASES = [
    pytest.param(route, role, status, id=f"{route}-{role}")
    for route, *statuses in MATRIX
    for role, status in zip(ROLES, statuses, strict=True)
]
ROUTE_HANDLERS = {
    "product-create": ("product-list", "post"),
    "product-update": ("product-detail", "patch"),
    "product-delete": ("product-detail", "delete"),
    "variant-create": ("variant-list", "post"),
    "variant-update": ("variant-detail", "patch"),
    "variant-delete": ("variant-detail", "delete"),
    "image-upload": ("image-list", "post"),
    "image-delete": ("image-detail", "delete"),
    "category-create": ("category-list", "post"),
    "category-update": ("category-detail", "patch"),
    "category-delete": ("category-detail", "delete"),
    "review-delete": ("review-detail", "delete"),
    "product-restore": ("product-restore", "post"),
    "variant-restore": ("variant-restore", "post"),
    "image-restore": ("image-restore", "post"),
    "category-restore": ("category-restore", "post"),
    "review-restore": ("review-restore", "post"),
}
ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}

pytestmark = pytest.mark.django_db


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def world(shop, staff, category, product_factory, customer, other_customer):
    """The owner's shop with a two-variant product, a photo and a customer's review, plus an
    unused category; and one deleted object of each restorable kind."""
    product = product_factory(
        shop=shop,
        category=category,
        variants=[
            {"sku": "JUG-S", "price": "15.00", "quantity": 3},
            {"sku": "JUG-L", "price": "22.00", "quantity": 1},
        ],
    )
    photo = ProductImage(product=product, alt="jug", position=0)
    photo.image.save("jug.png", ContentFile(png_bytes(), name="jug.png"), save=False)
    photo.thumbnail.save("jug-thumb.png", ContentFile(png_bytes(), name="t.png"), save=False)
    photo.save()
    review = Review.objects.create(product=product, customer=customer, rating=4)
    gone_product = product_factory(shop=shop, category=category, name="Old Vase")
    gone_product.soft_delete()
    gone_variant = Variant.objects.create(
        product=product, shop=shop, sku="JUG-XL", price="30.00", position=2
    )
    gone_variant.soft_delete()
    gone_photo = ProductImage(product=product, alt="old jug", position=1)
    gone_photo.image.save("old.png", ContentFile(png_bytes(), name="old.png"), save=False)
    gone_photo.thumbnail.save("old-thumb.png", ContentFile(png_bytes(), name="t.png"), save=False)
    gone_photo.save()
    gone_photo.soft_delete()
    gone_category = make_category("Candles")
    Category.objects.filter(pk=gone_category.pk).update(deleted_at=timezone.now())
    gone_review = Review.objects.create(product=product, customer=other_customer, rating=1)
    gone_review.soft_delete()
    return {
        "shop": shop,
        "category": category,
        "product": product,
        "variant": product.variants.get(sku="JUG-L"),
        "image": photo,
        "unused": make_category("Basketry"),
        "review": review,
        "gone": {
            "product": gone_product,
            "variant": gone_variant,
            "image": gone_photo,
            "category": gone_category,
            "review": gone_review,
        },
    }


def call(client, route, w):
    product = w["product"]
    products = "/api/products/"
    variants = f"{products}{product.pk}/variants/"
    images = f"{products}{product.pk}/images/"
    categories = "/api/categories/"
    gone = w["gone"]
    json_calls = {
        "product-create": (
            "post",
            products,
            {
                "shop": w["shop"].pk,
                "category": w["category"].pk,
                "name": "Small Jug",
                "price": "9.00",
                "quantity": 2,
            },
        ),
        "product-update": ("patch", f"{products}{product.pk}/", {"name": "Big Jug"}),
        "product-delete": ("delete", f"{products}{product.pk}/", None),
        "variant-create": ("post", variants, {"sku": "JUG-M", "price": "18.00", "quantity": 2}),
        "variant-update": ("patch", f"{variants}{w['variant'].pk}/", {"price": "1.00"}),
        "variant-delete": ("delete", f"{variants}{w['variant'].pk}/", None),
        "image-delete": ("delete", f"{images}{w['image'].pk}/", None),
        "category-create": ("post", categories, {"name": "Lamps"}),
        "category-update": ("patch", f"{categories}{w['category'].pk}/", {"name": "Pottery"}),
        "category-delete": ("delete", f"{categories}{w['unused'].pk}/", None),
        "review-delete": ("delete", f"{products}{product.pk}/reviews/{w['review'].pk}/", None),
        "product-restore": ("post", f"{products}{gone['product'].pk}/restore/", None),
        "variant-restore": ("post", f"{variants}{gone['variant'].pk}/restore/", None),
        "image-restore": ("post", f"{images}{gone['image'].pk}/restore/", None),
        "category-restore": ("post", f"{categories}{gone['category'].pk}/restore/", None),
        "review-restore": (
            "post",
            f"{products}{product.pk}/reviews/{gone['review'].pk}/restore/",
            None,
        ),
    }
    if route == "image-upload":
        upload = SimpleUploadedFile("jug.png", png_bytes(), content_type="image/png")
        return client.post(images, {"image": upload}, format="multipart")
    method, url, body = json_calls[route]
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def snapshot():
    return (
        list(
            Product.all_objects.order_by("pk").values_list(
                "pk", "name", "category_id", "price_min", "deleted_at"
            )
        ),
        list(
            Variant.all_objects.order_by("pk").values_list(
                "pk", "sku", "price", "quantity", "deleted_at"
            )
        ),
        list(
            ProductImage.all_objects.order_by("pk").values_list(
                "pk", "image", "position", "deleted_at"
            )
        ),
        list(Category.objects.order_by("pk").values_list("pk", "name", "path", "deleted_at")),
        list(Review.all_objects.order_by("pk").values_list("pk", "rating", "deleted_at")),
        list(Shop.all_objects.order_by("pk").values_list("pk", "product_count")),
        media_files(),
    )


@pytest.mark.parametrize(("route", "role", "expected"), CASES)
def test_catalog_write_permissions(request, client_for, api_client, world, route, role, expected):
    if role == "anonymous":
        client = api_client
    else:
        client = client_for(request.getfixturevalue(USER_FIXTURES[role]))
    before = snapshot()

    response = call(client, route, world)

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == ERROR_CODES[expected]
        assert snapshot() == before
    else:
        assert snapshot() != before


@pytest.mark.parametrize("route", [route for route, *_ in MATRIX])
def test_a_bad_token_is_401_on_every_write_route(api_client, world, route):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    before = snapshot()

    response = call(api_client, route, world)

    assert response.status_code == 401, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "authentication_failed"
    assert snapshot() == before


# Reviews are written by customers, not shop members: their roles are tested with the order
# routes (souk/orders/tests/test_route_matrix.py).
CUSTOMER_WRITES = {("review-list", "post")}


def test_matrix_covers_every_catalog_write_route():
    """A new write method on a catalog view needs a row in MATRIX."""
    handlers = {
        (pattern.name, method)
        for pattern in catalog_urls.urlpatterns
        for method in ("post", "put", "patch", "delete")
        if hasattr(pattern.callback.view_class, method)
    } - CUSTOMER_WRITES

    assert handlers == {ROUTE_HANDLERS[route] for route, *_ in MATRIX}
