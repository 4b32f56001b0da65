"""Every catalog write route against every role.

Product, variant and image writes need membership of the product's shop (owner or staff); a
platform admin who is not a member is refused like any outsider. Category writes are for
platform admins only. No credentials: 401. A refused request changes nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from souk.catalog.api import urls as catalog_urls
from souk.catalog.models import Category, Product, ProductImage, Variant
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
    ("product-create", 401, 403, 403, 403, 201, 201, 403),
    ("product-update", 401, 403, 403, 403, 200, 200, 403),
    ("product-delete", 401, 403, 403, 403, 204, 204, 403),
    ("variant-create", 401, 403, 403, 403, 201, 201, 403),
    ("variant-update", 401, 403, 403, 403, 200, 200, 403),
    ("variant-delete", 401, 403, 403, 403, 204, 204, 403),
    ("image-upload", 401, 403, 403, 403, 201, 201, 403),
    ("image-delete", 401, 403, 403, 403, 204, 204, 403),
    ("category-create", 401, 403, 403, 403, 403, 403, 201),
    ("category-update", 401, 403, 403, 403, 403, 403, 200),
    ("category-delete", 401, 403, 403, 403, 403, 403, 204),
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
}
ERROR_CODES = {401: "not_authenticated", 403: "permission_denied"}

pytestmark = pytest.mark.django_db


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def world(shop, staff, category, product_factory):
    """The owner's shop with a two-variant product and a photo, plus an unused category."""
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
    return {
        "shop": shop,
        "category": category,
        "product": product,
        "variant": product.variants.get(sku="JUG-L"),
        "image": photo,
        "unused": make_category("Basketry"),
    }


def call(client, route, w):
    product = w["product"]
    products = "/api/products/"
    variants = f"{products}{product.pk}/variants/"
    images = f"{products}{product.pk}/images/"
    categories = "/api/categories/"
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
        list(ProductImage.objects.order_by("pk").values_list("pk", "image", "position")),
        list(Category.objects.order_by("pk").values_list("pk", "name", "path")),
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
