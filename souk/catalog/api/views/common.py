from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated

from souk.catalog.models import Product
from souk.catalog.selectors.products import product_get
from souk.core.exceptions import NotFound

NO_CONTENT = OpenApiResponse(description="Done; no body.")


class ProductObjectMixin:
    kwargs: dict[str, Any]

    def get_product(self) -> Product:
        if not hasattr(self, "_product"):
            product = product_get(product_id=self.kwargs["pk"])
            if product is None:
                raise NotFound("No such product.")
            self._product = product
        return self._product

    def get_permission_shop(self) -> Any:
        return self.get_product().shop


RESTORE_DESCRIPTION = (
    "Platform administrators bring back what a DELETE hid. Restoring a live object returns it "
    "unchanged; 409 `conflict` if a live object has taken its place meanwhile (or, for a "
    "product, while its shop is closed; for a category, while its parent is deleted). Anyone "
    "else: 404 for a deleted object, 403 for a live one."
)


class RestoreView(GenericAPIView):
    permission_classes = [IsAuthenticated]
