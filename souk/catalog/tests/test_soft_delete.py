"""Deleting catalog objects is a soft delete (hidden everywhere, history intact), platform
administrators restore them (API and Django admin), and administrators have a member's powers
over any shop's catalog."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from souk.catalog.models import Category, Product, ProductImage, Review, Variant
from souk.catalog.seed import categories_ensure
from souk.catalog.tests.factories import make_category
from souk.orders.tests.factories import place_order
from souk.shops.models import Shop

PROBLEM = "application/problem+json"

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 120, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def add_photo(product: Product, alt: str = "jug", position: int = 0) -> ProductImage:
    photo = ProductImage(product=product, alt=alt, position=position)
    photo.image.save(f"{alt}.png", ContentFile(png_bytes(), name="p.png"), save=False)
    photo.thumbnail.save(f"{alt}-t.png", ContentFile(png_bytes(), name="t.png"), save=False)
    photo.save()
    return photo


@pytest.fixture
def admin_site(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


# --- Administrators' powers over any shop's catalog -------------------------------------------


def test_an_admin_creates_edits_deletes_and_restores_a_product_of_any_shop(
    client_for, admin_user, shop, category
):
    client = client_for(admin_user)

    created = client.post(
        "/api/products/",
        {"shop": shop.pk, "category": category.pk, "name": "Oak Bowl", "price": "30.00"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    edited = client.patch(f"/api/products/{pk}/", {"name": "Ash Bowl"}, format="json")
    deleted = client.delete(f"/api/products/{pk}/")
    hidden = client.get(f"/api/products/{pk}/")
    restored = client.post(f"/api/products/{pk}/restore/")

    assert edited.status_code == 200
    assert edited.json()["name"] == "Ash Bowl"
    assert deleted.status_code == 204
    assert hidden.status_code == 404
    assert restored.status_code == 200, restored.content
    assert (restored.json()["id"], restored.json()["name"]) == (pk, "Ash Bowl")
    assert [v["price"] for v in restored.json()["variants"]] == ["30.00"]
    assert client.get(f"/api/products/{pk}/").status_code == 200
    assert Shop.objects.get(pk=shop.pk).product_count == 1


def test_restoring_a_product_brings_back_the_variants_deleted_with_it_only(
    client_for, admin_user, artisan, shop, category, product_factory
):
    product = product_factory(
        shop=shop,
        category=category,
        variants=[
            {"sku": "A", "price": "5.00", "quantity": 1},
            {"sku": "B", "price": "7.00", "quantity": 1},
            {"sku": "C", "price": "9.00", "quantity": 1},
        ],
    )
    owner = client_for(artisan)
    owner.delete(f"/api/products/{product.pk}/variants/{product.variants.get(sku='A').pk}/")
    owner.delete(f"/api/products/{product.pk}/")

    response = client_for(admin_user).post(f"/api/products/{product.pk}/restore/")

    assert response.status_code == 200, response.content
    assert [v["sku"] for v in response.json()["variants"]] == ["B", "C"]
    assert response.json()["price"] == "7.00"


def test_restoring_a_product_of_a_closed_shop_is_409_and_changes_nothing(
    client_for, admin_user, artisan, shop, product
):
    client_for(artisan).delete(f"/api/products/{product.pk}/")
    Shop.all_objects.filter(pk=shop.pk).update(deleted_at=timezone.now())
    before = Product.all_objects.values_list("deleted_at", flat=True).get(pk=product.pk)

    response = client_for(admin_user).post(f"/api/products/{product.pk}/restore/")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Product.all_objects.values_list("deleted_at", flat=True).get(pk=product.pk) == before


def test_restoring_a_live_product_returns_it_unchanged(client_for, admin_user, product):
    response = client_for(admin_user).post(f"/api/products/{product.pk}/restore/")

    assert response.status_code == 200
    assert response.json()["id"] == product.pk
    assert Product.objects.filter(pk=product.pk).count() == 1


def test_a_member_restoring_a_live_product_is_403(client_for, artisan, product):
    response = client_for(artisan).post(f"/api/products/{product.pk}/restore/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_unknown_product_restore_is_404(client_for, admin_user):
    response = client_for(admin_user).post("/api/products/999999/restore/")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


# --- The Django admin -----------------------------------------------------------------------


def test_deleting_a_product_in_the_django_admin_is_a_soft_delete(
    admin_site, shop, product, customer, artisan
):
    """Order lines protect products from a real delete; the admin's delete is the soft one."""
    place_order(user=customer, lines=[(product.variants.get(), 1)])
    url = f"/admin/catalog/product/{product.pk}/delete/"

    confirm = admin_site.get(url)
    done = admin_site.post(url, {"post": "yes"})

    assert confirm.status_code == 200
    assert b"Cannot delete" not in confirm.content
    assert done.status_code == 302
    gone = Product.all_objects.get(pk=product.pk)
    assert gone.deleted_at is not None
    assert Variant.all_objects.get(product=product).deleted_at == gone.deleted_at
    assert Shop.objects.get(pk=shop.pk).product_count == 0


def test_the_django_admin_restores_deleted_products(admin_site, client_for, artisan, product):
    client_for(artisan).delete(f"/api/products/{product.pk}/")

    response = admin_site.post(
        "/admin/catalog/product/",
        {"action": "restore_selected", "_selected_action": [product.pk]},
    )

    assert response.status_code == 302
    assert Product.objects.filter(pk=product.pk).exists()
    assert Variant.objects.filter(product=product).count() == 1


def test_deleting_a_review_in_the_django_admin_is_soft_and_updates_ratings(
    admin_site, product, customer, other_customer
):
    kept = Review.objects.create(product=product, customer=customer, rating=5)
    dropped = Review.objects.create(product=product, customer=other_customer, rating=1)

    response = admin_site.post(f"/admin/catalog/review/{dropped.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert list(Review.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Review.all_objects.get(pk=dropped.pk).deleted_at is not None
    assert Product.objects.values_list("rating", "review_count").get(pk=product.pk) == (
        Decimal("5.00"),
        1,
    )


def test_deleting_a_category_in_the_django_admin_is_soft(admin_site):
    lamps = make_category("Lamps")

    response = admin_site.post(f"/admin/catalog/category/{lamps.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert Category.objects.get(pk=lamps.pk).deleted_at is not None


def test_the_django_admin_lists_and_restores_deleted_categories(admin_site, client_for, admin_user):
    home = make_category("Home")
    make_category("Lamps", parent=home)
    client_for(admin_user).delete(f"/api/categories/{home.pk}/")

    listed = admin_site.get("/admin/catalog/category/")
    restored = admin_site.post(
        "/admin/catalog/category/",
        {"action": "restore_selected", "_selected_action": [home.pk]},
    )

    assert listed.status_code == 200
    assert b"Home" in listed.content
    assert restored.status_code == 302
    assert list(Category.objects.alive().values_list("name", flat=True)) == ["Home", "Lamps"]


# --- Images -----------------------------------------------------------------------------------


def test_deleting_an_image_hides_it_and_keeps_its_files(client_for, artisan, admin_user, product):
    kept = add_photo(product, "front", 0)
    dropped = add_photo(product, "back", 1)
    names = (dropped.image.name, dropped.thumbnail.name)

    deleted = client_for(artisan).delete(f"/api/products/{product.pk}/images/{dropped.pk}/")
    shown = client_for(artisan).get(f"/api/products/{product.pk}/")

    assert deleted.status_code == 204
    assert [image["id"] for image in shown.json()["images"]] == [kept.pk]
    row = ProductImage.all_objects.get(pk=dropped.pk)
    assert row.deleted_at is not None
    assert (row.image.name, row.thumbnail.name) == names
    assert row.image.storage.exists(names[0])
    assert row.image.storage.exists(names[1])
    again = client_for(artisan).delete(f"/api/products/{product.pk}/images/{dropped.pk}/")
    assert again.status_code == 404


def test_an_admin_restores_an_image(client_for, artisan, admin_user, product):
    photo = add_photo(product)
    client_for(artisan).delete(f"/api/products/{product.pk}/images/{photo.pk}/")

    response = client_for(admin_user).post(f"/api/products/{product.pk}/images/{photo.pk}/restore/")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == photo.pk
    shown = client_for(artisan).get(f"/api/products/{product.pk}/").json()
    assert [image["id"] for image in shown["images"]] == [photo.pk]


# --- Variants ---------------------------------------------------------------------------------


def test_an_admin_restores_a_variant(
    client_for, artisan, admin_user, shop, category, product_factory
):
    product = product_factory(
        shop=shop,
        category=category,
        variants=[{"sku": "S", "price": "4.00", "quantity": 1}, {"sku": "L", "price": "6.00"}],
    )
    small = product.variants.get(sku="S")
    client_for(artisan).delete(f"/api/products/{product.pk}/variants/{small.pk}/")
    assert Product.objects.get(pk=product.pk).price_min == Decimal("6.00")

    response = client_for(admin_user).post(
        f"/api/products/{product.pk}/variants/{small.pk}/restore/"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["sku"]) == (small.pk, "S")
    assert Product.objects.get(pk=product.pk).price_min == Decimal("4.00")


def test_restoring_a_variant_whose_sku_was_taken_is_409_and_changes_nothing(
    client_for, artisan, admin_user, shop, category, product_factory
):
    product = product_factory(
        shop=shop,
        category=category,
        variants=[{"sku": "S", "price": "4.00"}, {"sku": "L", "price": "6.00"}],
    )
    small = product.variants.get(sku="S")
    owner = client_for(artisan)
    owner.delete(f"/api/products/{product.pk}/variants/{small.pk}/")
    retaken = owner.post(
        f"/api/products/{product.pk}/variants/", {"sku": "S", "price": "5.00"}, format="json"
    )
    assert retaken.status_code == 201

    response = client_for(admin_user).post(
        f"/api/products/{product.pk}/variants/{small.pk}/restore/"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Variant.all_objects.get(pk=small.pk).deleted_at is not None
    assert Product.objects.get(pk=product.pk).price_min == Decimal("5.00")


# --- Categories -------------------------------------------------------------------------------


def test_deleting_a_category_hides_it_and_those_below_it(client_for, admin_user):
    home = make_category("Home")
    lamps = make_category("Lamps", parent=home)
    make_category("Garden")
    client = client_for(admin_user)

    response = client.delete(f"/api/categories/{home.pk}/")

    assert response.status_code == 204
    assert [c["name"] for c in client.get("/api/categories/").json()] == ["Garden"]
    assert [c["name"] for c in client.get("/api/categories/?flat=true").json()] == ["Garden"]
    assert client.get(f"/api/categories/{lamps.pk}/").status_code == 404
    assert set(
        Category.objects.filter(deleted_at__isnull=False).values_list("name", flat=True)
    ) == {"Home", "Lamps"}


def test_a_category_in_use_is_not_deleted(client_for, admin_user, category, product):
    response = client_for(admin_user).delete(f"/api/categories/{category.pk}/")

    assert response.status_code == 409
    assert Category.objects.get(pk=category.pk).deleted_at is None


def test_a_deleted_category_can_be_added_again_and_new_products_cannot_use_it(
    client_for, admin_user, artisan, shop
):
    client = client_for(admin_user)
    old = client.post("/api/categories/", {"name": "Lamps"}, format="json").json()
    client.delete(f"/api/categories/{old['id']}/")

    again = client.post("/api/categories/", {"name": "Lamps"}, format="json")
    refused = client_for(artisan).post(
        "/api/products/",
        {"shop": shop.pk, "category": old["id"], "name": "Lamp", "price": "9.00"},
        format="json",
    )

    assert again.status_code == 201, again.content
    assert again.json()["slug"] == "lamps"
    assert again.json()["id"] != old["id"]
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_error"
    assert "category" in refused.json()["errors"]


def test_an_admin_restores_a_category_and_its_subtree(client_for, admin_user):
    home = make_category("Home")
    make_category("Lamps", parent=home)
    client = client_for(admin_user)
    client.delete(f"/api/categories/{home.pk}/")

    response = client.post(f"/api/categories/{home.pk}/restore/")

    assert response.status_code == 200, response.content
    assert response.json() == {"id": home.pk, "name": "Home", "slug": "home", "parent": None}
    tree = client.get("/api/categories/").json()
    assert [(c["name"], [k["name"] for k in c["children"]]) for c in tree] == [("Home", ["Lamps"])]


def test_restoring_a_category_under_a_deleted_parent_is_409(client_for, admin_user):
    home = make_category("Home")
    lamps = make_category("Lamps", parent=home)
    client = client_for(admin_user)
    client.delete(f"/api/categories/{home.pk}/")

    response = client.post(f"/api/categories/{lamps.pk}/restore/")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Category.objects.get(pk=lamps.pk).deleted_at is not None
    assert client.get("/api/categories/").json() == []


def test_restoring_a_category_whose_name_was_taken_again_is_409(client_for, admin_user):
    client = client_for(admin_user)
    old = client.post("/api/categories/", {"name": "Lamps"}, format="json").json()
    client.delete(f"/api/categories/{old['id']}/")
    client.post("/api/categories/", {"name": "Lamps"}, format="json")

    response = client.post(f"/api/categories/{old['id']}/restore/")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Category.objects.get(pk=old["id"]).deleted_at is not None
    assert [c["name"] for c in client.get("/api/categories/?flat=true").json()] == ["Lamps"]


def test_adding_a_child_after_its_last_sibling_was_deleted_works(client_for, admin_user):
    home = make_category("Home")
    lamps = make_category("Lamps", parent=home)
    client = client_for(admin_user)
    client.delete(f"/api/categories/{lamps.pk}/")

    response = client.post("/api/categories/", {"name": "Rugs", "parent": home.pk}, format="json")

    assert response.status_code == 201, response.content
    tree = client.get("/api/categories/").json()
    assert [k["name"] for k in tree[0]["children"]] == ["Rugs"]


def test_demo_categories_are_made_again_beside_deleted_ones():
    first = categories_ensure()
    root = next(node for key, node in first.items() if len(key) == 1)
    Category.objects.filter(path__startswith=root.path).update(deleted_at=timezone.now())

    again = categories_ensure()

    assert set(again) == set(first)
    assert all(node.deleted_at is None for node in again.values())
    assert Category.objects.alive().count() == len(first)


def test_deleting_a_deleted_product_in_the_django_admin_changes_nothing(
    admin_site, client_for, artisan, product
):
    client_for(artisan).delete(f"/api/products/{product.pk}/")
    deleted_at = Product.all_objects.get(pk=product.pk).deleted_at

    response = admin_site.post(f"/admin/catalog/product/{product.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert Product.all_objects.get(pk=product.pk).deleted_at == deleted_at


def test_an_admin_reopens_a_closed_shop_with_its_products(
    client_for, api_client, admin_user, artisan, shop, product
):
    client_for(artisan).delete(f"/api/shops/{shop.pk}/")

    response = client_for(admin_user).post(f"/api/shops/{shop.pk}/restore/")

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["product_count"]) == (shop.pk, 1)
    assert api_client.get(f"/api/shops/{shop.pk}/").status_code == 200
    assert api_client.get(f"/api/products/{product.pk}/").status_code == 200


def test_reopening_keeps_products_deleted_before_the_shop_closed_deleted(
    client_for, admin_user, artisan, shop, category, product_factory
):
    kept = product_factory(shop=shop, category=category, name="Kept")
    dropped = product_factory(shop=shop, category=category, name="Dropped")
    owner = client_for(artisan)
    owner.delete(f"/api/products/{dropped.pk}/")
    owner.delete(f"/api/shops/{shop.pk}/")

    client_for(admin_user).post(f"/api/shops/{shop.pk}/restore/")

    assert list(Product.objects.filter(shop=shop).values_list("pk", flat=True)) == [kept.pk]
