"""The OpenAPI schema tells clients the truth: pages are documented as pages, every error a route
can answer is listed as problem details, and fields document the values really returned."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def _operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: {**operation, "path": path, "method": method}
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def _ok_body(operation: dict[str, Any]) -> Any:
    return operation["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.mark.parametrize(
    ("operation_id", "page"),
    [
        ("orders_list", "PaginatedOrderList"),
        ("shops_orders_list", "PaginatedOrderList"),
        ("payments_list", "PaginatedPaymentList"),
        ("shops_inventory_list", "PaginatedInventoryRowList"),
        ("inventory_alerts_list", "PaginatedAlertList"),
        ("inventory_movements_list", "PaginatedMovementList"),
        ("purchases_list", "PaginatedPurchaseList"),
        ("coupons_list", "PaginatedCouponList"),
        ("products_reviews_list", "PaginatedReviewList"),
    ],
)
def test_a_paginated_list_is_documented_as_a_page_with_its_query(schema, operation_id, page):
    operation = _operations(schema)[operation_id]

    assert _ok_body(operation) == {"$ref": f"#/components/schemas/{page}"}
    component = schema["components"]["schemas"][page]
    assert sorted(component["properties"]) == ["count", "next", "previous", "results"]
    assert component["properties"]["results"]["type"] == "array"
    query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert {"page", "page_size"} <= query
    assert operation["responses"]["404"]["content"] == {
        "application/problem+json": {"schema": PROBLEM}
    }


def test_suggestions_are_documented_as_a_plain_array(schema):
    operation = _operations(schema)["products_suggest_list"]

    assert _ok_body(operation) == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Suggestion"},
    }
    assert [p["name"] for p in operation["parameters"]] == ["q"]


def test_a_shop_email_may_be_empty(schema):
    email = schema["components"]["schemas"]["Shop"]["properties"]["email"]

    assert email == {
        "type": "string",
        "readOnly": True,
        "description": "An email address, or empty.",
    }


def test_payment_and_order_payment_statuses_are_separate_enums(schema):
    components = schema["components"]["schemas"]

    assert components["PaymentStatusEnum"]["enum"] == ["pending", "paid", "failed"]
    assert components["OrderPaymentStatusEnum"]["enum"] == [
        "unpaid",
        "paid",
        "refund_pending",
        "refunded",
    ]
    payment, order = components["Payment"], components["Order"]
    assert payment["properties"]["status"]["allOf"] == [
        {"$ref": "#/components/schemas/PaymentStatusEnum"}
    ]
    assert order["properties"]["payment_status"]["allOf"] == [
        {"$ref": "#/components/schemas/OrderPaymentStatusEnum"}
    ]


def test_problem_details_is_one_component(schema):
    problem = schema["components"]["schemas"]["ProblemDetails"]

    assert sorted(problem["properties"]) == ["code", "detail", "errors", "status", "title", "type"]
    assert sorted(problem["required"]) == ["code", "detail", "status", "title"]


def test_every_error_answer_is_problem_details(schema):
    errors = [
        (operation_id, code, response.get("content"))
        for operation_id, operation in _operations(schema).items()
        for code, response in operation["responses"].items()
        if code >= "400"
    ]

    assert len(errors) > 300
    assert [e for e in errors if e[2] != {"application/problem+json": {"schema": PROBLEM}}] == []


def test_errors_follow_from_the_shape_of_each_operation(schema):
    missing = []
    for operation_id, operation in _operations(schema).items():
        codes = set(operation["responses"])
        located = {p["in"] for p in operation.get("parameters", [])}
        expected = set()
        if "requestBody" in operation:
            expected |= {"400", "413", "415"}
        if "query" in located:
            expected.add("400")
        if "path" in located:
            expected.add("404")
        if {} not in operation.get("security", [{}]):
            expected |= {"401", "403"}
        if expected - codes:
            missing.append((operation_id, sorted(expected - codes)))

    assert missing == []


@pytest.mark.parametrize(
    ("operation_id", "codes"),
    [
        ("orders_create", ["201", "400", "401", "403", "409", "413", "415", "422"]),
        ("orders_list", ["200", "400", "401", "403", "404"]),
        ("orders_status_create", ["200", "400", "401", "403", "404", "409", "413", "415"]),
        ("accounts_login_create", ["200", "400", "401", "413", "415", "429"]),
        ("products_retrieve", ["200", "401", "404"]),
        ("products_suggest_list", ["200", "400", "429"]),
        (
            "payments_start_create",
            ["201", "400", "401", "402", "403", "404", "409", "413", "415", "422", "503"],
        ),
        ("payments_webhooks_paystack_create", ["200", "400", "401", "413", "415"]),
        ("readyz_retrieve", ["200", "503"]),
        ("products_restore_create", ["200", "401", "403", "404", "409"]),
        ("orders_restore_create", ["200", "401", "403", "404", "409"]),
        ("inventory_alerts_dismiss", ["204", "401", "403", "404"]),
    ],
)
def test_an_operation_lists_every_answer_it_can_give(schema, operation_id, codes):
    assert list(_operations(schema)[operation_id]["responses"]) == codes


def test_throttled_answers_document_retry_after(schema):
    response = _operations(schema)["accounts_login_create"]["responses"]["429"]

    assert response["headers"] == {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 1},
            "description": "Seconds to wait before trying again.",
        }
    }


@pytest.mark.parametrize(
    "operation_id", ["orders_create", "checkout_create", "payments_start_create"]
)
def test_idempotent_operations_document_their_key(schema, operation_id):
    parameters = _operations(schema)[operation_id]["parameters"]

    assert [p for p in parameters if p["in"] == "header"] == [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": "Makes retries safe: within 24 hours the same key and body replay "
            "the first response.",
        }
    ]
