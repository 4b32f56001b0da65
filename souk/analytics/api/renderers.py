"""`?format=csv`: a dashboard's monthly table and its product table, one after the other,
separated by an empty line (each with its header row)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer

MONTHLY = ["month", "revenue", "orders"]
PRODUCTS = ["rank", "product", "name", "category", "category_rank", "revenue", "units"]


class DashboardCsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400 or not isinstance(data, dict):
            return json.dumps(data).encode()  # problem details stay JSON
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(MONTHLY)
        for row in data["monthly_revenue"]:
            writer.writerow([row[name] for name in MONTHLY])
        writer.writerow([])
        writer.writerow(PRODUCTS)
        for row in data["top_products"]:
            writer.writerow([row[name] for name in PRODUCTS])
        return out.getvalue().encode()
