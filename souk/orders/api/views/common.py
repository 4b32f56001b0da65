from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse

from souk.orders.services.placement import DeliveryRequest

NO_CONTENT = OpenApiResponse(description="Done; no body.")
IDEMPOTENCY_NOTE = (
    " Send an `Idempotency-Key` header (1-255 printable characters) to make retries safe: "
    "within 24 hours the same key and body replay the first response, another body is 422 "
    "`idempotency_conflict`, and a duplicate sent while the first runs is 409 "
    "`idempotency_in_progress`."
)


DESTINATION_NOTE = (
    " Without `shipping_address` or `address` your default address is used; if you have no "
    "address at all the order is a pickup (`delivery.method` = `pickup`, `shipping_address` "
    "null). Asking for `delivery.method` = `delivery` with no address anywhere is 400 "
    "`validation_error` and nothing is written."
)


def _placement_args(data: dict[str, Any]) -> dict[str, Any]:
    delivery = data.get("delivery")
    return {
        "address_id": data.get("shipping_address"),
        "address": data.get("address"),
        "coupon_code": data.get("coupon") or None,
        "delivery": DeliveryRequest(**delivery) if delivery else None,
    }
