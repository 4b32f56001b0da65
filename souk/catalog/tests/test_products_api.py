"""Products: create, read, edit and soft delete through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from souk.catalog.models import Product, Variant
from souk.catalog.tests.factories import make_category
from souk.core.testing import assert_problem
from souk.shops.models import Shop

LIST = "/api/products/"
PRODUCT_FIELDS = {
    "id",
    "shop",
    "category",
    "name",
    "slug",
    "description",
    "price",
    "currency",
    "quantity",
    "in_stock",
    "attributes",
    "location",
    "rating",
    "review_count",
    "images",
    "variants",
    "created_at",
    "distance_km",
}
VARIANT_FIELDS = {"id", "sku", "price", "quantity", "in_stock", "attributes"}
SHOP_LOCATION = {"lat": 51.5074, "lng": -0.1278}

pytestmark = pytest.mark.django_db


def detail(pk):
    return f"{LIST}{pk}/"


def create_body(shop, category, /, **overrides):
    """A valid simple-product body; an override of `...` leaves that field out."""
    body = {
        "shop": shop.pk,
        "category": category.pk,
        "name": "Blue Tea Bowl",
        "description": "Thrown on the wheel.",
        "price": "12.5",
        "quantity": 3,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


def snapshot():
    """Everything the catalog write side could touch, for "nothing changed" assertions."""
    products = list(
        Product.all_objects.order_by("pk").values_list(
            "pk",
            "name",
            "slug",
            "description",
            "category_id",
            "attributes",
            "price_min",
            "deleted_at",
        )
    )
    variants = list(
        Variant.all_objects.order_by("pk").values_list(
            "pk", "product_id", "sku", "price", "quantity", "attributes", "deleted_at"
        )
    )
    shops = list(Shop.all_objects.order_by("pk").values_list("pk", "product_count"))
    locations = [p.location.coords for p in Product.all_objects.order_by("pk")]
    return products, variants, shops, locations


def product_count(shop):
    return Shop.all_objects.get(pk=shop.pk).product_count


# --- POST /api/products/ ---------------------------------------------------------------------


@pytest.mark.parametrize("member", ["artisan", "staff"])
def test_member_creates_a_simple_product(request, client_for, shop, category, member):
    user = request.getfixturevalue(member)
    before = product_count(shop)

    response = client_for(user).post(LIST, create_body(shop, category, sku="BOWL-1"), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PRODUCT_FIELDS
    product = Product.objects.get()
    variant = Variant.objects.get()
    assert body["id"] == product.pk
    assert body["shop"] == {"id": shop.pk, "name": shop.name}
    assert body["category"] == {"id": category.pk, "name": "Ceramics"}
    assert body["name"] == "Blue Tea Bowl"
    assert body["slug"] == "blue-tea-bowl"
    assert body["description"] == "Thrown on the wheel."
    assert body["price"] == "12.50"
    assert body["currency"] == "USD"
    assert body["quantity"] == 3
    assert body["in_stock"] is True
    assert body["attributes"] == {}
    assert body["location"] == SHOP_LOCATION
    assert body["rating"] == "0.00"
    assert body["review_count"] == 0
    assert body["images"] == []
    assert body["distance_km"] is None
    assert body["variants"] == [
        {
            "id": variant.pk,
            "sku": "BOWL-1",
            "price": "12.50",
            "quantity": 3,
            "in_stock": True,
            "attributes": {},
        }
    ]
    assert (variant.product_id, variant.shop_id, variant.price, variant.quantity) == (
        product.pk,
        shop.pk,
        Decimal("12.50"),
        3,
    )
    assert product.price_min == Decimal("12.50")
    assert product.category_text == "Ceramics"
    assert product_count(shop) == before + 1


def test_created_product_is_readable_and_listed(client_for, api_client, artisan, shop, category):
    created = client_for(artisan).post(LIST, create_body(shop, category), format="json").json()

    assert api_client.get(detail(created["id"])).json() == created
    listed = api_client.get(LIST).json()
    assert [row["id"] for row in listed["results"]] == [created["id"]]


def test_quantity_defaults_to_zero_and_is_out_of_stock(client_for, artisan, shop, category):
    response = client_for(artisan).post(
        LIST, create_body(shop, category, quantity=...), format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["quantity"], body["in_stock"]) == (0, False)
    assert body["variants"][0]["quantity"] == 0
    assert body["variants"][0]["in_stock"] is False
    assert Variant.objects.get().quantity == 0


def test_simple_product_gets_a_generated_sku(client_for, artisan, shop, category):
    response = client_for(artisan).post(LIST, create_body(shop, category), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert [v["sku"] for v in body["variants"]] == [f"P{body['id']}"]
    assert Variant.objects.get().sku == f"P{body['id']}"


def test_create_with_explicit_location_and_attributes(client_for, artisan, shop, category):
    response = client_for(artisan).post(
        LIST,
        create_body(
            shop,
            category,
            location={"lat": 48.8566, "lng": 2.3522},
            attributes={"glaze": "celadon", "handmade": True, "weight_g": 320},
        ),
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["location"] == {"lat": 48.8566, "lng": 2.3522}
    assert body["attributes"] == {"glaze": "celadon", "handmade": True, "weight_g": 320}
    product = Product.objects.get()
    assert product.location.coords == pytest.approx((2.3522, 48.8566))
    assert product.attributes == {"glaze": "celadon", "handmade": True, "weight_g": 320}


def test_create_with_variants(client_for, artisan, shop, category):
    variants = [
        {"sku": "VASE-L", "price": "30.00", "quantity": 2, "attributes": {"size": "L"}},
        {"sku": "VASE-S", "price": "18.25", "quantity": 5, "attributes": {"size": "S"}},
        {"sku": "VASE-M", "price": "24", "quantity": 0, "attributes": {"size": "M"}},
    ]
    before = product_count(shop)

    response = client_for(artisan).post(
        LIST,
        create_body(shop, category, price=..., quantity=..., variants=variants),
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["price"] == "18.25"
    assert body["quantity"] == 7
    assert body["in_stock"] is True
    assert [
        (v["sku"], v["price"], v["quantity"], v["in_stock"], v["attributes"])
        for v in body["variants"]
    ] == [
        ("VASE-L", "30.00", 2, True, {"size": "L"}),
        ("VASE-S", "18.25", 5, True, {"size": "S"}),
        ("VASE-M", "24.00", 0, False, {"size": "M"}),
    ]
    assert all(set(v) == VARIANT_FIELDS for v in body["variants"])
    product = Product.objects.get()
    assert product.price_min == Decimal("18.25")
    assert list(
        Variant.objects.filter(product=product)
        .order_by("position")
        .values_list("sku", "position", "quantity")
    ) == [("VASE-L", 0, 2), ("VASE-S", 1, 5), ("VASE-M", 2, 0)]
    assert product_count(shop) == before + 1


def test_variants_without_skus_get_generated_ones(client_for, artisan, shop, category):
    variants = [{"price": "5.00", "quantity": 1}, {"price": "6.00", "quantity": 1}]

    response = client_for(artisan).post(
        LIST,
        create_body(shop, category, price=..., quantity=..., variants=variants),
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    pk = body["id"]
    assert [v["sku"] for v in body["variants"]] == [f"P{pk}-1", f"P{pk}-2"]
    assert body["price"] == "5.00"
    assert body["quantity"] == 2


@pytest.mark.parametrize("mode", ["simple", "variants"])
def test_sku_taken_in_the_same_shop_is_400_and_nothing_is_created(
    client_for, artisan, shop, category, product_factory, mode
):
    product_factory(shop=shop, category=category, variants=[{"sku": "TAKEN", "price": "9.00"}])
    before = snapshot()
    if mode == "simple":
        body = create_body(shop, category, sku="TAKEN")
    else:
        body = create_body(
            shop,
            category,
            price=...,
            quantity=...,
            variants=[
                {"sku": "FREE", "price": "3.00", "quantity": 1},
                {"sku": "TAKEN", "price": "4.00", "quantity": 1},
            ],
        )

    response = client_for(artisan).post(LIST, body, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert "sku" in problem["errors"]
    assert snapshot() == before
    assert Product.all_objects.count() == 1


def test_same_sku_in_another_shop_is_fine(
    client_for, artisan, shop, shop_factory, category, product_factory
):
    elsewhere = shop_factory()
    product_factory(
        shop=elsewhere, category=category, variants=[{"sku": "BOWL-1", "price": "9.00"}]
    )

    response = client_for(artisan).post(
        LIST, create_body(shop, category, sku="BOWL-1"), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["variants"][0]["sku"] == "BOWL-1"
    assert Variant.objects.filter(sku="BOWL-1").count() == 2


def test_duplicate_skus_in_one_request_are_400(client_for, artisan, shop, category):
    before = snapshot()
    variants = [
        {"sku": "TWIN", "price": "3.00", "quantity": 1},
        {"sku": "TWIN", "price": "4.00", "quantity": 1},
    ]

    response = client_for(artisan).post(
        LIST,
        create_body(shop, category, price=..., quantity=..., variants=variants),
        format="json",
    )

    problem = assert_problem(response, 400, "validation_error")
    assert "variants" in problem["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "extra",
    [
        {"price": "10.00"},
        {"quantity": 4},
        {"sku": "X-1"},
    ],
)
def test_variants_together_with_price_quantity_or_sku_is_400(
    client_for, artisan, shop, category, extra
):
    before = snapshot()
    body = create_body(
        shop,
        category,
        price=...,
        quantity=...,
        variants=[{"sku": "A-1", "price": "3.00", "quantity": 1}],
    )
    body.update(extra)

    response = client_for(artisan).post(LIST, body, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == set(extra)
    assert snapshot() == before


def test_missing_price_is_400(client_for, artisan, shop, category):
    before = snapshot()

    response = client_for(artisan).post(LIST, create_body(shop, category, price=...), format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"price"}
    assert snapshot() == before


def test_empty_variant_list_is_400(client_for, artisan, shop, category):
    before = snapshot()

    response = client_for(artisan).post(
        LIST, create_body(shop, category, price=..., quantity=..., variants=[]), format="json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert "variants" in problem["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 0),
        ("price", "0.00"),
        ("price", "-1.00"),
        ("price", -5),
        ("price", "abc"),
        ("price", "12.345"),
        ("price", None),
        ("price", "NaN"),
        ("quantity", -1),
        ("quantity", "many"),
        ("quantity", 2.5),
        ("quantity", 1_000_001),
        ("attributes", ["red", "blue"]),
        ("attributes", "red"),
        ("attributes", 7),
        ("attributes", {"size": {"w": 10, "h": 20}}),
        ("attributes", {"colours": ["red", "blue"]}),
        ("attributes", {"colour": None}),
        ("shop", 999_999),
        ("shop", "abc"),
        ("category", 999_999),
        ("name", ""),
        ("name", "   "),
        ("sku", "has space"),
        ("sku", "-leading-dash"),
        ("location", {"lat": 91, "lng": 0}),
        ("location", "here"),
    ],
)
def test_invalid_fields_are_400_and_nothing_is_created(
    client_for, artisan, shop, category, field, value
):
    before = snapshot()

    response = client_for(artisan).post(
        LIST, create_body(shop, category, **{field: value}), format="json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {field}
    assert snapshot() == before


@pytest.mark.parametrize(
    "variant",
    [
        {"sku": "A-1", "price": "0.00", "quantity": 1},
        {"sku": "A-1", "price": "-3.00", "quantity": 1},
        {"sku": "A-1", "quantity": 1},
        {"sku": "A-1", "price": "3.00", "quantity": -1},
        {"sku": "A-1", "price": "3.00", "attributes": {"size": {"w": 1}}},
        {"sku": "A-1", "price": "3.00", "attributes": ["L"]},
        {"sku": "bad sku!", "price": "3.00"},
    ],
)
def test_invalid_variant_is_400_and_nothing_is_created(
    client_for, artisan, shop, category, variant
):
    before = snapshot()
    variants = [{"sku": "OK-1", "price": "2.00", "quantity": 1}, variant]

    response = client_for(artisan).post(
        LIST,
        create_body(shop, category, price=..., quantity=..., variants=variants),
        format="json",
    )

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"variants"}
    assert snapshot() == before


def test_deleted_shop_is_400(client_for, artisan, shop, category):
    Shop.objects.filter(pk=shop.pk).update(deleted_at=timezone.now())
    before = snapshot()

    response = client_for(artisan).post(LIST, create_body(shop, category), format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"shop"}
    assert snapshot() == before


def test_malformed_json_is_400_parse_error(client_for, artisan, shop, category):
    before = snapshot()

    response = client_for(artisan).post(
        LIST, data='{"shop": 1, "name": ', content_type="application/json"
    )

    assert_problem(response, 400, "parse_error")
    assert snapshot() == before


@pytest.mark.parametrize("outsider", ["customer", "other_artisan"])
def test_non_members_cannot_create(request, client_for, shop, category, outsider):
    user = request.getfixturevalue(outsider)
    before = snapshot()

    response = client_for(user).post(LIST, create_body(shop, category), format="json")

    assert_problem(response, 403, "permission_denied")
    assert snapshot() == before


def test_other_artisan_cannot_create_in_a_shop_they_do_not_belong_to(
    client_for, other_artisan, shop, category
):
    own_shop = Shop.objects.get(owner=other_artisan)
    before = snapshot()

    response = client_for(other_artisan).post(LIST, create_body(shop, category), format="json")

    assert_problem(response, 403, "permission_denied")
    assert snapshot() == before
    assert product_count(own_shop) == 0


def test_anonymous_cannot_create(api_client, shop, category):
    before = snapshot()

    response = api_client.post(LIST, create_body(shop, category), format="json")

    assert_problem(response, 401, "not_authenticated")
    assert snapshot() == before


# --- GET /api/products/{id}/ -----------------------------------------------------------------


def test_detail_has_exactly_the_documented_fields(api_client, shop, category, product_factory):
    product = product_factory(
        shop=shop,
        category=category,
        name="Linen Apron",
        attributes={"fabric": "linen"},
        variants=[
            {"sku": "APRON-RED", "price": "40.00", "quantity": 0, "attributes": {"c": "red"}},
            {"sku": "APRON-BLU", "price": "35.50", "quantity": 4, "attributes": {"c": "blue"}},
        ],
    )
    red, blue = product.variants.order_by("position")

    response = api_client.get(detail(product.pk))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PRODUCT_FIELDS
    assert body["id"] == product.pk
    assert body["shop"] == {"id": shop.pk, "name": shop.name}
    assert body["category"] == {"id": category.pk, "name": category.name}
    assert body["name"] == "Linen Apron"
    assert body["slug"] == "linen-apron"
    assert body["description"] == "Wheel-thrown and glazed."
    assert body["price"] == "35.50"
    assert body["currency"] == "USD"
    assert body["quantity"] == 4
    assert body["in_stock"] is True
    assert body["attributes"] == {"fabric": "linen"}
    assert body["location"] == SHOP_LOCATION
    assert body["rating"] == "0.00"
    assert body["review_count"] == 0
    assert body["images"] == []
    assert body["distance_km"] is None
    assert body["created_at"].endswith("Z")
    assert body["variants"] == [
        {
            "id": red.pk,
            "sku": "APRON-RED",
            "price": "40.00",
            "quantity": 0,
            "in_stock": False,
            "attributes": {"c": "red"},
        },
        {
            "id": blue.pk,
            "sku": "APRON-BLU",
            "price": "35.50",
            "quantity": 4,
            "in_stock": True,
            "attributes": {"c": "blue"},
        },
    ]


def test_missing_product_is_404(api_client, product):
    response = api_client.get(detail(product.pk + 1000))

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("pk", [2**63, 2**65, 10**30], ids=["bigint-max-plus-one", "2-65", "10-30"])
def test_product_id_beyond_bigint_is_404(api_client, product, pk):
    assert_problem(api_client.get(detail(pk)), 404, "not_found")
    assert_problem(api_client.get(f"{detail(pk)}reviews/"), 404, "not_found")


# --- PATCH /api/products/{id}/ ---------------------------------------------------------------


@pytest.mark.parametrize("member", ["artisan", "staff"])
def test_member_edits_product_fields(request, client_for, product, member):
    user = request.getfixturevalue(member)
    vases = make_category("Vases")

    response = client_for(user).patch(
        detail(product.pk),
        {
            "name": "Tall Vase",
            "description": "Now taller.",
            "category": vases.pk,
            "attributes": {"height_cm": 30},
            "location": {"lat": 40.4168, "lng": -3.7038},
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Tall Vase"
    assert body["slug"] == "tall-vase"
    assert body["description"] == "Now taller."
    assert body["category"] == {"id": vases.pk, "name": "Vases"}
    assert body["attributes"] == {"height_cm": 30}
    assert body["location"] == {"lat": 40.4168, "lng": -3.7038}
    assert body["price"] == "20.00"
    assert body["quantity"] == 5
    product.refresh_from_db()
    assert (product.name, product.slug, product.description) == (
        "Tall Vase",
        "tall-vase",
        "Now taller.",
    )
    assert product.category_id == vases.pk
    assert product.category_text == "Vases"
    assert product.attributes == {"height_cm": 30}
    assert product.location.coords == pytest.approx((-3.7038, 40.4168))


def test_patch_leaves_unmentioned_fields_alone(client_for, artisan, product):
    response = client_for(artisan).patch(
        detail(product.pk), {"description": "Shorter."}, format="json"
    )

    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert (product.name, product.description, product.price_min) == (
        "Stoneware Mug",
        "Shorter.",
        Decimal("20.00"),
    )


def test_patch_price_and_quantity_of_a_single_variant_product(client_for, artisan, product):
    variant = product.variants.get()

    response = client_for(artisan).patch(
        detail(product.pk), {"price": "7.25", "quantity": 11}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["price"], body["quantity"]) == ("7.25", 11)
    assert body["variants"][0]["price"] == "7.25"
    assert body["variants"][0]["quantity"] == 11
    variant.refresh_from_db()
    product.refresh_from_db()
    assert (variant.price, variant.quantity) == (Decimal("7.25"), 11)
    assert product.price_min == Decimal("7.25")


def test_patch_quantity_to_zero_puts_it_out_of_stock(client_for, artisan, product):
    response = client_for(artisan).patch(detail(product.pk), {"quantity": 0}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["quantity"], response.json()["in_stock"]) == (0, False)
    assert product.variants.get().quantity == 0


@pytest.mark.parametrize("change", [{"price": "5.00"}, {"quantity": 1}])
def test_patch_price_or_quantity_of_a_multi_variant_product_is_400(
    client_for, artisan, shop, category, product_factory, change
):
    product = product_factory(
        shop=shop,
        category=category,
        variants=[{"price": "10.00", "quantity": 2}, {"price": "12.00", "quantity": 3}],
    )
    before = snapshot()

    response = client_for(artisan).patch(
        detail(product.pk), {"name": "Renamed", **change}, format="json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert "price" in problem["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "  "),
        ("price", "0"),
        ("price", "-2.00"),
        ("price", "cheap"),
        ("quantity", -1),
        ("category", 999_999),
        ("attributes", {"size": {"w": 1}}),
        ("attributes", ["a"]),
        ("location", {"lat": 0, "lng": 200}),
    ],
)
def test_patch_invalid_values_are_400_and_unchanged(client_for, artisan, product, field, value):
    before = snapshot()

    response = client_for(artisan).patch(detail(product.pk), {field: value}, format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {field}
    assert snapshot() == before


@pytest.mark.parametrize("outsider", ["customer", "other_artisan"])
def test_non_members_cannot_patch(request, client_for, product, outsider):
    user = request.getfixturevalue(outsider)
    before = snapshot()

    response = client_for(user).patch(
        detail(product.pk), {"name": "Hijacked", "price": "1.00"}, format="json"
    )

    assert_problem(response, 403, "permission_denied")
    assert snapshot() == before


def test_anonymous_cannot_patch(api_client, product):
    before = snapshot()

    response = api_client.patch(detail(product.pk), {"name": "Hijacked"}, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert snapshot() == before


def test_patch_missing_product_is_404(client_for, artisan, product):
    response = client_for(artisan).patch(detail(product.pk + 1000), {"name": "X"}, format="json")

    assert_problem(response, 404, "not_found")


# --- DELETE /api/products/{id}/ --------------------------------------------------------------


@pytest.mark.parametrize("member", ["artisan", "staff"])
def test_delete_is_soft(request, client_for, api_client, shop, category, product_factory, member):
    user = request.getfixturevalue(member)
    product = product_factory(
        shop=shop,
        category=category,
        variants=[{"price": "10.00", "quantity": 2}, {"price": "12.00", "quantity": 3}],
    )
    kept = product_factory(shop=shop, category=category, name="Kept Jug")
    assert product_count(shop) == 2

    response = client_for(user).delete(detail(product.pk))

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(api_client.get(detail(product.pk)), 404, "not_found")
    listed = api_client.get(LIST).json()
    assert [row["id"] for row in listed["results"]] == [kept.pk]
    assert not Product.objects.filter(pk=product.pk).exists()
    stored = Product.all_objects.get(pk=product.pk)
    assert stored.deleted_at is not None
    deleted_at = set(
        Variant.all_objects.filter(product=product).values_list("deleted_at", flat=True)
    )
    assert deleted_at == {stored.deleted_at}
    assert Variant.objects.filter(product=product).count() == 0
    assert Variant.objects.filter(product=kept).count() == 1
    assert product_count(shop) == 1


def test_deleted_product_cannot_be_deleted_or_edited_again(client_for, artisan, product, shop):
    client = client_for(artisan)
    assert client.delete(detail(product.pk)).status_code == 204
    before = snapshot()

    assert_problem(client.delete(detail(product.pk)), 404, "not_found")
    assert_problem(
        client.patch(detail(product.pk), {"name": "Back"}, format="json"), 404, "not_found"
    )
    assert snapshot() == before
    assert product_count(shop) == 0


def test_sku_of_a_deleted_product_can_be_reused(
    client_for, artisan, shop, category, product_factory
):
    old = product_factory(shop=shop, category=category, variants=[{"sku": "MUG-1", "price": 8}])
    client = client_for(artisan)
    assert client.delete(detail(old.pk)).status_code == 204

    response = client.post(LIST, create_body(shop, category, sku="MUG-1"), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["variants"][0]["sku"] == "MUG-1"
    assert Variant.all_objects.filter(shop=shop, sku="MUG-1").count() == 2
    assert Variant.objects.get(shop=shop, sku="MUG-1").product_id == response.json()["id"]


@pytest.mark.parametrize("outsider", ["customer", "other_artisan"])
def test_non_members_cannot_delete(request, client_for, product, outsider):
    user = request.getfixturevalue(outsider)
    before = snapshot()

    response = client_for(user).delete(detail(product.pk))

    assert_problem(response, 403, "permission_denied")
    assert snapshot() == before


def test_anonymous_cannot_delete(api_client, product):
    before = snapshot()

    response = api_client.delete(detail(product.pk))

    assert_problem(response, 401, "not_authenticated")
    assert snapshot() == before
