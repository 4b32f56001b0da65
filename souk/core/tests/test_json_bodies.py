"""Request bodies that are JSON but not JSON Souk can process: 400, never a 500, nothing
written."""

from __future__ import annotations

import json

import pytest

from souk.accounts.models import User
from souk.catalog.models import Product, Review
from souk.core.testing import assert_problem
from souk.shops.models import Shop

pytestmark = pytest.mark.django_db

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def post_raw(client, path, text):
    return client.generic("POST", path, text.encode(), content_type="application/json")


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize(
    "path", ["/api/accounts/login/", "/api/register/", "/api/products/", "/api/cart/items/"]
)
def test_deeply_nested_json_is_400_parse_error(client_for, customer, path, text):
    users = User.objects.count()

    response = post_raw(client_for(customer), path, text)

    body = assert_problem(response, 400, "parse_error")
    assert body["detail"] == "JSON parse error - nested more than 32 levels deep."
    assert User.objects.count() == users


def test_json_nested_past_the_limit_without_exhausting_the_stack_is_400(
    client_for, artisan, shop, category
):
    attributes = "1"
    for _ in range(40):
        attributes = f'{{"a": {attributes}}}'
    text = json.dumps({"shop": shop.pk, "category": category.pk, "name": "Bowl"})
    text = text[:-1] + f', "price": "5", "quantity": 1, "attributes": {attributes}}}'

    response = post_raw(client_for(artisan), "/api/products/", text)

    assert_problem(response, 400, "parse_error")
    assert not Product.all_objects.exists()


def test_paired_surrogates_and_other_text_are_accepted(client_for, artisan, shop, category):
    attributes = {"glaze": "céladon 🍵", "size": "S"}
    body = {"shop": shop.pk, "category": category.pk, "name": "Bowl 🍵", "price": "5"}
    text = json.dumps({**body, "quantity": 1, "attributes": attributes})
    assert "\\ud83c\\udf75" in text  # the tea cup as a surrogate pair escape

    response = post_raw(client_for(artisan), "/api/products/", text)

    assert response.status_code == 201, response.content
    product = Product.objects.get()
    assert (product.name, product.attributes) == ("Bowl 🍵", attributes)


# Strings PostgreSQL cannot store: NUL, and a lone surrogate (valid JSON escapes both).
UNSTORABLE = [
    ("\x00", "Null characters are not allowed."),
    ("\ud800", "Unpaired surrogate characters are not allowed."),
    ("\udfff", "Unpaired surrogate characters are not allowed."),
]


def product_text(shop, category, **fields):
    body = {"shop": shop.pk, "category": category.pk, "name": "Bowl", "price": "5", "quantity": 1}
    return json.dumps({**body, **fields})  # ASCII: "\u0000", "\ud800" stay escapes


@pytest.mark.parametrize(("char", "message"), UNSTORABLE)
def test_unstorable_text_in_product_attributes_is_400(
    client_for, artisan, shop, category, char, message
):
    text = product_text(shop, category, attributes={"glaze": f"celadon{char}", "size": "S"})

    response = post_raw(client_for(artisan), "/api/products/", text)

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"attributes": {"glaze": [message]}}
    assert body["detail"] == f"attributes.glaze: {message}"
    assert not Product.all_objects.exists()


@pytest.mark.parametrize(("char", "message"), UNSTORABLE)
def test_unstorable_text_in_a_product_attribute_key_is_400(
    client_for, artisan, shop, category, char, message
):
    text = product_text(shop, category, attributes={f"gl{char}aze": "celadon"})

    response = post_raw(client_for(artisan), "/api/products/", text)

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {
        "attributes": ["Keys may not contain null characters or unpaired surrogates."]
    }
    assert not Product.all_objects.exists()


@pytest.mark.parametrize(("char", "message"), UNSTORABLE)
def test_unstorable_text_in_variant_attributes_is_400(
    client_for, artisan, shop, category, char, message
):
    variants = [
        {"sku": "BOWL-S", "price": "5", "quantity": 1, "attributes": {"size": "S"}},
        {"sku": "BOWL-M", "price": "6", "quantity": 1, "attributes": {"size": f"M{char}"}},
    ]
    text = json.dumps(
        {"shop": shop.pk, "category": category.pk, "name": "Bowl", "variants": variants}
    )

    response = post_raw(client_for(artisan), "/api/products/", text)

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"variants": {"1": {"attributes": {"size": [message]}}}}
    assert not Product.all_objects.exists()


@pytest.mark.parametrize(("char", "message"), UNSTORABLE)
def test_unstorable_text_in_a_shop_name_is_400(client_for, artisan, char, message):
    text = json.dumps(
        {
            "name": f"Atelier{char}",
            "description": "Pots.",
            "address": "1 Market Street",
            "location": {"lat": 33.5731, "lng": -7.5898},
        }
    )

    response = post_raw(client_for(artisan), "/api/shops/", text)

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"name": [message]}
    assert not Shop.all_objects.exists()


@pytest.mark.parametrize(("char", "message"), UNSTORABLE)
def test_unstorable_text_in_a_review_is_400(client_for, customer, product, char, message):
    text = json.dumps({"rating": 5, "title": "Lovely", "body": f"Thin rim{char}"})

    response = post_raw(client_for(customer), f"/api/products/{product.pk}/reviews/", text)

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"body": [message]}
    assert not Review.objects.exists()


@pytest.mark.parametrize(("char", "message"), UNSTORABLE)
def test_unstorable_text_at_the_top_of_a_body_is_400(api_client, char, message):
    response = post_raw(api_client, "/api/register/", json.dumps(f"x{char}"))

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"non_field_errors": [message]}
