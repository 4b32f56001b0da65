"""Inputs that would cost the server far more than a normal request are refused up front."""

from __future__ import annotations

import json

import pytest

from souk.catalog.models import Product, Variant

PROBLEM = "application/problem+json"
pytestmark = pytest.mark.django_db


def variant(n):
    return {"sku": f"BOWL-{n}", "price": "5.00", "quantity": 1}


def create(client, shop, category, variants):
    body = {"shop": shop.pk, "category": category.pk, "name": "Bowl", "variants": variants}
    return client.generic(
        "POST", "/api/products/", json.dumps(body), content_type="application/json"
    )


@pytest.mark.parametrize("count", [101, 140_000])
def test_more_than_100_variants_are_refused_before_any_is_validated(
    client_for, artisan, shop, category, count
):
    # Each entry is invalid: validating them one by one would list 140,000 errors.
    response = create(client_for(artisan), shop, category, [{}] * count)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"] == "variants: At most 100 variants."
    assert body["errors"] == {"variants": {"non_field_errors": ["At most 100 variants."]}}
    assert not Product.all_objects.exists()
    assert not Variant.all_objects.exists()


def test_100_variants_are_accepted(client_for, artisan, shop, category):
    response = create(client_for(artisan), shop, category, [variant(n) for n in range(100)])

    assert response.status_code == 201, response.content
    assert len(response.json()["variants"]) == 100
