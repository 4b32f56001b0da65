from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.orders.api import plain
from souk.orders.api import serializers as s
from souk.orders.api.payloads import cart_payload
from souk.orders.api.views.common import NO_CONTENT
from souk.orders.models import Cart
from souk.orders.services import cart as cart_services


def _cart_response(request: Request, cart: Cart | None = None) -> Response:
    return Response(cart_payload(cart_services.cart_view(user=request_user(request), cart=cart)))


@extend_schema(tags=["cart"])
class CartView(GenericAPIView):
    serializer_class = s.CartSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        description="Your cart (created on first use) with live prices and stock; totals are "
        "computed here from current prices. Lines that are no longer available are flagged "
        "and left out of the totals."
    )
    def get(self, request: Request) -> Response:
        return _cart_response(request)

    @extend_schema(responses={204: NO_CONTENT}, description="Empty the cart (and drop its coupon).")
    def delete(self, request: Request) -> Response:
        cart_services.cart_clear(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["cart"])
class CartItemsView(GenericAPIView):
    serializer_class = s.CartSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.CartItemAddSerializer,
        responses={201: s.CartSerializer},
        description="Add a variant (or a single-variant product); a variant already in the "
        "cart has the quantity added to its line. More than the stock is 409 "
        "`insufficient_stock`.",
    )
    def post(self, request: Request) -> Response:
        values = plain.cart_line_body(request.data)
        if values is None:
            data = s.CartItemAddSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        added = cart_services.cart_line_add(
            user=request_user(request),
            quantity=values["quantity"],
            variant_id=values.get("variant"),
            product_id=values.get("product"),
        )
        response = Response(cart_payload(added.view))
        response.status_code = status.HTTP_201_CREATED
        return response


@extend_schema(tags=["cart"])
class CartItemDetailView(GenericAPIView):
    serializer_class = s.CartSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.CartItemUpdateSerializer,
        description="Set the line's quantity (more than the stock is 409).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = s.CartItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart_services.cart_item_set(
            user=request_user(request), item_id=pk, quantity=data.validated_data["quantity"]
        )
        return _cart_response(request)

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, pk: int) -> Response:
        cart_services.cart_item_remove(user=request_user(request), item_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["cart"])
class CartCouponView(GenericAPIView):
    serializer_class = s.CartSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.CouponCodeSerializer,
        description="Put a coupon on the cart. Unknown, not yet valid, expired, used up or "
        "not applicable to the cart: 400 with the reason.",
    )
    def post(self, request: Request) -> Response:
        data = s.CouponCodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart_services.cart_coupon_apply(user=request_user(request), **data.validated_data)
        return _cart_response(request)

    @extend_schema(responses={200: s.CartSerializer}, description="Take the coupon off the cart.")
    def delete(self, request: Request) -> Response:
        cart_services.cart_coupon_remove(user=request_user(request))
        return _cart_response(request)
