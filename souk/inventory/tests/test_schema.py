"""The OpenAPI schema documents every inventory list as the page it returns."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

LISTS = {
    ("/api/shops/{id}/inventory/", "InventoryRow"),
    ("/api/inventory-alerts/", "Alert"),
    ("/api/inventory/movements/", "Movement"),
    ("/api/purchases/", "Purchase"),
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(("path", "item"), sorted(LISTS))
def test_each_inventory_list_is_documented_as_a_page(schema, path, item):
    operation = schema["paths"][path]["get"]

    content = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert content == {"$ref": f"#/components/schemas/Paginated{item}List"}
    page = schema["components"]["schemas"][f"Paginated{item}List"]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["items"] == {"$ref": f"#/components/schemas/{item}"}
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"page", "page_size"} <= names


def test_an_alert_is_documented_with_its_message_and_shop(schema):
    alert = schema["components"]["schemas"]["Alert"]

    assert set(alert["properties"]) == {
        "id",
        "shop",
        "product",
        "variant",
        "sku",
        "quantity",
        "threshold",
        "message",
        "created_at",
    }


def test_purchased_at_is_documented_as_a_date_time(schema):
    create = schema["components"]["schemas"]["PurchaseCreateRequest"]
    purchase = schema["components"]["schemas"]["Purchase"]

    assert create["properties"]["purchased_at"]["format"] == "date-time"
    assert purchase["properties"]["purchased_at"]["format"] == "date-time"
