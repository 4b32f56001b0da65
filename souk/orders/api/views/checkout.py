from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.core.exceptions import NotFound
from souk.core.idempotency import ResultRecorder, idempotent
from souk.orders import selectors
from souk.orders.api import plain
from souk.orders.api import serializers as s
from souk.orders.api.payloads import checkout_payload
from souk.orders.api.views.common import DESTINATION_NOTE, IDEMPOTENCY_NOTE, _placement_args
from souk.orders.models import Checkout
from souk.orders.services.placement import checkout_place


@extend_schema(tags=["orders"])
class CheckoutView(GenericAPIView):
    serializer_class = s.CheckoutSerializer
    permission_classes = [IsAuthenticated]

    def created(self, request: Request, checkout_id: int) -> Response:
        checkout = selectors.checkout_get(user=request_user(request), checkout_id=checkout_id)
        if checkout is None:
            raise NotFound("No such checkout.")
        return Response(self.get_serializer(checkout).data, status=status.HTTP_201_CREATED)

    def placed(self, request: Request, checkout: Checkout) -> Response:
        """The answer for a checkout just placed, from the checkout and its orders (nothing is
        read back)."""
        return Response(checkout_payload(checkout), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CheckoutCreateSerializer,
        responses={201: s.CheckoutSerializer},
        description="Check the whole cart out: one order per shop, the stock taken at once and "
        "the cart emptied. If any line is short of stock, 409 `insufficient_stock` lists every "
        "short line and nothing changes." + DESTINATION_NOTE + IDEMPOTENCY_NOTE,
    )
    @idempotent(resume=created)
    def post(self, request: Request, *, record: ResultRecorder | None) -> Response:
        values = plain.checkout_body(request.data)
        if values is None:
            data = s.CheckoutCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        placed = checkout_place(
            user=request_user(request), on_placed=record, **_placement_args(values)
        )
        return self.placed(request, placed)
