"""The studio's stock and product pages (test client): who may open them, and that bad input
shows an error and changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from souk.catalog.models import Product, ProductImage, Variant
from souk.catalog.tests.factories import make_category, make_product
from souk.inventory.models import InventoryAlert, Purchase, StockMovement
from souk.inventory.services.purchases import stock_adjust

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 90, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def category(db):
    return make_category("Ceramics")


@pytest.fixture
def product(shop, category):
    return make_product(shop=shop, category=category, name="Blue Mug", quantity=5)


@pytest.fixture
def owner_client(client, artisan, shop):
    client.force_login(artisan)
    return client


ROUTES: list[tuple[str, dict[str, Any]]] = [
    ("studio:inventory", {}),
    ("studio:purchases", {}),
    ("studio:products", {}),
    ("studio:product-new", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), ROUTES, ids=[name for name, _ in ROUTES])
def test_anonymous_is_sent_to_sign_in(client, settings, name, kwargs):
    from django.urls import reverse

    settings.LOGIN_URL = "/login/"
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(("name", "kwargs"), ROUTES, ids=[name for name, _ in ROUTES])
def test_non_member_gets_404(client, customer, name, kwargs):
    from django.urls import reverse

    client.force_login(customer)
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 404


def test_another_shops_product_is_404(client, shop_factory, product, user_factory):
    other = user_factory(role="artisan")
    shop_factory(owner=other)
    client.force_login(other)
    assert client.get(f"/studio/products/{product.pk}/").status_code == 404
    response = client.post(f"/studio/products/{product.pk}/", {"name": "Stolen"})
    assert response.status_code == 404
    product.refresh_from_db()
    assert product.name == "Blue Mug"


def test_inventory_lists_variants_and_highlights_low_stock(owner_client, artisan, product):
    variant = product.variants.get()
    stock_adjust(actor=artisan, variant_id=variant.pk, delta=-4, note="breakage")

    response = owner_client.get("/studio/inventory/")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'<tr class="low" data-sku="{variant.sku}">' in body
    assert "Low-stock alerts" in body
    assert InventoryAlert.objects.filter(variant=variant, resolved_at=None).count() == 1


def test_dismissing_an_alert_with_htmx_resolves_it(owner_client, artisan, product):
    variant = product.variants.get()
    stock_adjust(actor=artisan, variant_id=variant.pk, delta=-4)
    alert = InventoryAlert.objects.get(variant=variant)

    response = owner_client.post(f"/studio/alerts/{alert.pk}/dismiss/", **HTMX)

    assert response.status_code == 200
    assert "Alert dismissed" in response.content.decode()
    alert.refresh_from_db()
    assert alert.dismissed_at is not None


def test_dismissing_another_shops_alert_is_404(
    client, shop_factory, user_factory, artisan, product
):
    variant = product.variants.get()
    stock_adjust(actor=artisan, variant_id=variant.pk, delta=-4)
    alert = InventoryAlert.objects.get(variant=variant)
    other = user_factory(role="artisan")
    shop_factory(owner=other)
    client.force_login(other)

    assert client.post(f"/studio/alerts/{alert.pk}/dismiss/").status_code == 404
    alert.refresh_from_db()
    assert alert.resolved_at is None


def test_recording_a_purchase_raises_the_stock(owner_client, product):
    variant = product.variants.get()
    response = owner_client.post(
        "/studio/purchases/",
        {
            "supplier": "Clay Co",
            "reference": "INV-1",
            "purchased_at": "2026-01-05",
            "item-variant": [str(variant.pk)],
            "item-quantity": ["7"],
            "item-cost": ["3.50"],
        },
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.quantity == 12
    purchase = Purchase.objects.get()
    assert purchase.items.get().unit_cost == Decimal("3.50")
    page = owner_client.get("/studio/purchases/").content.decode()
    assert "Clay Co" in page


def test_a_bad_purchase_shows_errors_and_changes_nothing(owner_client, product):
    variant = product.variants.get()
    response = owner_client.post(
        "/studio/purchases/",
        {
            "supplier": "",
            "purchased_at": "2026-01-05",
            "item-variant": [str(variant.pk)],
            "item-quantity": ["0"],
            "item-cost": ["1"],
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="p-supplier-err"' in body
    assert "greater than or equal to 1" in body
    variant.refresh_from_db()
    assert variant.quantity == 5
    assert not Purchase.objects.exists()


def test_adjusting_stock_below_zero_is_refused(owner_client, product):
    variant = product.variants.get()
    moves = StockMovement.objects.count()
    response = owner_client.post(
        "/studio/adjust/", {"variant": str(variant.pk), "delta": "-9", "note": "count"}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    variant.refresh_from_db()
    assert variant.quantity == 5
    assert StockMovement.objects.count() == moves


def test_adjusting_stock_with_a_reason(owner_client, product):
    variant = product.variants.get()
    response = owner_client.post(
        "/studio/adjust/", {"variant": str(variant.pk), "delta": "-2", "note": "broken"}
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.quantity == 3
    assert StockMovement.objects.filter(variant=variant, note="broken", delta=-2).exists()


def _product_post(category_, **extra):
    data = {
        "name": "Tea Bowl",
        "category": str(category_.pk),
        "description": "Wood-fired.",
        "attributes": "material: stoneware",
        "v-id": ["", ""],
        "v-sku": ["BOWL-S", "BOWL-L"],
        "v-price": ["18.00", "26.00"],
        "v-quantity": ["4", "2"],
        "v-attributes": ["size: S", "size: L"],
    }
    data.update(extra)
    return data


def test_creating_a_product_with_two_variants(owner_client, shop, category):
    response = owner_client.post("/studio/products/new/", _product_post(category))

    product = Product.objects.get(shop=shop)
    assert response.status_code == 302
    assert response["Location"] == f"/studio/products/{product.pk}/"
    assert product.attributes == {"material": "stoneware"}
    variants = {v.sku: v for v in product.variants.all()}
    assert variants["BOWL-L"].price == Decimal("26.00")
    assert variants["BOWL-S"].quantity == 4
    assert variants["BOWL-S"].attributes == {"size": "S"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "may not be blank"),
        ({"v-price": ["18.00", ""]}, "This field is required."),
        ({"v-sku": ["SAME", "SAME"]}, "different SKU"),
        ({"attributes": ": nameless"}, "Attribute names"),
        ({"category": "999999"}, "Invalid pk"),
    ],
    ids=["blank-name", "missing-price", "duplicate-sku", "bad-attribute", "no-category"],
)
def test_invalid_product_data_shows_errors_and_writes_nothing(
    owner_client, category, change, message
):
    response = owner_client.post("/studio/products/new/", _product_post(category, **change))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Product.all_objects.exists()
    assert not Variant.all_objects.exists()


def test_editing_a_product_changes_adds_and_removes_variants(owner_client, shop, category):
    owner_client.post("/studio/products/new/", _product_post(category))
    product = Product.objects.get(shop=shop)
    small = product.variants.get(sku="BOWL-S")

    response = owner_client.post(
        f"/studio/products/{product.pk}/",
        {
            "name": "Tea Bowl, ash glaze",
            "category": str(category.pk),
            "description": "",
            "attributes": "",
            "v-id": [str(small.pk), ""],
            "v-sku": ["BOWL-S", "BOWL-XL"],
            "v-price": ["19.50", "40.00"],
            "v-quantity": ["6", "1"],
            "v-attributes": ["size: S", "size: XL"],
        },
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Tea Bowl, ash glaze"
    assert sorted(product.variants.values_list("sku", flat=True)) == ["BOWL-S", "BOWL-XL"]
    small.refresh_from_db()
    assert (small.price, small.quantity) == (Decimal("19.50"), 6)


def test_a_bad_edit_changes_nothing(owner_client, shop, category):
    owner_client.post("/studio/products/new/", _product_post(category))
    product = Product.objects.get(shop=shop)
    small, large = product.variants.order_by("position")

    response = owner_client.post(
        f"/studio/products/{product.pk}/",
        {
            "name": "Renamed",
            "category": str(category.pk),
            "v-id": [str(small.pk), str(large.pk)],
            "v-sku": ["BOWL-S", "BOWL-S"],
            "v-price": ["1.00", "2.00"],
            "v-quantity": ["4", "2"],
            "v-attributes": ["", ""],
        },
    )

    assert response.status_code == 400
    assert "SKU already used" in response.content.decode()
    product.refresh_from_db()
    assert product.name == "Tea Bowl"
    small.refresh_from_db()
    assert small.price == Decimal("18.00")


def test_uploading_and_removing_a_photo(owner_client, product):
    upload = SimpleUploadedFile("mug.png", png(), content_type="image/png")
    response = owner_client.post(
        f"/studio/products/{product.pk}/images/", {"image": upload, "alt": "A mug"}, **HTMX
    )
    assert response.status_code == 200
    image = ProductImage.objects.get(product=product)
    assert image.thumbnail.url in response.content.decode()

    response = owner_client.post(
        f"/studio/products/{product.pk}/images/", {"delete": str(image.pk)}, **HTMX
    )
    assert "Photo removed" in response.content.decode()
    assert not ProductImage.objects.filter(product=product).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not an image at all", "not a readable image"), (None, "at most 1 MB")],
    ids=["not-an-image", "too-large"],
)
def test_a_bad_photo_shows_a_clear_error(owner_client, settings, product, content, message):
    settings.IMAGE_MAX_BYTES = 1024 * 1024
    if content is None:
        content = png() + b"\0" * (1024 * 1024)
    upload = SimpleUploadedFile("x.png", content, content_type="image/png")

    response = owner_client.post(
        f"/studio/products/{product.pk}/images/", {"image": upload}, **HTMX
    )

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert message in response.content.decode()
    assert not ProductImage.all_objects.exists()


def test_products_list_and_editor_render(owner_client, product):
    listing = owner_client.get("/studio/products/")
    assert listing.status_code == 200
    assert "Blue Mug" in listing.content.decode()
    editor = owner_client.get(f"/studio/products/{product.pk}/")
    assert editor.status_code == 200
    assert 'id="variant-rows"' in editor.content.decode()


PAGES = ["/studio/products/", "/studio/inventory/", "/studio/purchases/"]


def test_list_pages_read_a_fixed_number_of_queries(
    owner_client, shop, category, django_assert_max_num_queries
):
    for n in range(3):
        make_product(shop=shop, category=category, name=f"Mug {n}", quantity=1)
    for path in PAGES:  # warm the caches (categories, inventory) first
        owner_client.get(path)
    with django_assert_max_num_queries(35) as few:
        for path in PAGES:
            owner_client.get(path)
    for n in range(3, 15):
        make_product(shop=shop, category=category, name=f"Mug {n}", quantity=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        for path in PAGES:
            assert owner_client.get(path).status_code == 200


def test_deleting_a_product(owner_client, product):
    response = owner_client.post(f"/studio/products/{product.pk}/delete/", follow=True)

    assert "was deleted" in response.content.decode()
    assert not Product.objects.filter(pk=product.pk).exists()
    assert Product.all_objects.get(pk=product.pk).deleted_at is not None


def test_another_shops_member_cannot_delete_a_product(client, shop_factory, user_factory, product):
    other = user_factory(role="artisan")
    shop_factory(owner=other)
    client.force_login(other)

    assert client.post(f"/studio/products/{product.pk}/delete/").status_code == 404
    assert Product.objects.filter(pk=product.pk).exists()


def test_another_shops_variant_is_refused_in_purchases_and_adjustments(
    owner_client, shop_factory, category, product
):
    foreign = make_product(shop=shop_factory(), category=category, name="Their Mug", quantity=5)
    variant = foreign.variants.get()

    bought = owner_client.post(
        "/studio/purchases/",
        {
            "supplier": "Clay Co",
            "purchased_at": "2026-01-05",
            "item-variant": [str(variant.pk)],
            "item-quantity": ["3"],
            "item-cost": ["1.00"],
        },
    )
    adjusted = owner_client.post("/studio/adjust/", {"variant": str(variant.pk), "delta": "2"})

    assert bought.status_code == 400
    assert "No such variant in this shop." in bought.content.decode()
    assert adjusted.status_code == 400
    assert "Choose a variant of this shop." in adjusted.content.decode()
    variant.refresh_from_db()
    assert variant.quantity == 5
    assert not Purchase.objects.exists()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("4", 2, id="untouched-keeps-todays-stock"),
        pytest.param("7", 5, id="edit-is-a-change"),
    ],
)
def test_a_sale_while_the_editor_is_open_is_not_undone(
    owner_client, shop, category, typed, expected
):
    owner_client.post("/studio/products/new/", _product_post(category))
    product = Product.objects.get(shop=shop)
    small = product.variants.get(sku="BOWL-S")
    assert small.quantity == 4  # what the editor shows
    Variant.objects.filter(pk=small.pk).update(quantity=2)  # two sold meanwhile

    response = owner_client.post(
        f"/studio/products/{product.pk}/",
        {
            "name": "Tea Bowl (renamed)",
            "category": str(category.pk),
            "description": "",
            "attributes": "",
            "v-id": [str(small.pk)],
            "v-shown": ["4"],
            "v-sku": ["BOWL-S"],
            "v-price": ["18.00"],
            "v-quantity": [typed],
            "v-attributes": ["size: S"],
        },
    )

    assert response.status_code == 302
    small.refresh_from_db()
    assert small.quantity == expected


def test_a_page_number_beyond_bigint_shows_a_page_not_a_500(owner_client, product):
    response = owner_client.get("/studio/inventory/", {"page": "9" * 20})

    assert response.status_code == 200


@pytest.mark.parametrize("wanted", ["abc", "-1", "9" * 30])
def test_removing_a_photo_by_a_bad_id_is_a_message_not_a_500(owner_client, product, wanted):
    response = owner_client.post(f"/studio/products/{product.pk}/images/", {"delete": wanted})

    assert response.status_code in {200, 302}
    assert ProductImage.objects.filter(product=product).count() == 0


def test_any_variant_of_the_shop_can_be_adjusted(owner_client, product, monkeypatch):
    """Ownership is the variant's shop, not a place in the form's first rows of choices."""
    from souk.web.views import studio_catalog

    monkeypatch.setattr(studio_catalog, "_variant_choices", lambda shop: [])
    variant = product.variants.get()

    response = owner_client.post(
        "/studio/adjust/", {"variant": str(variant.pk), "delta": "1", "note": "found one"}
    )

    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.quantity == 6
