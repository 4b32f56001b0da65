from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.core.exceptions import NotFound
from souk.core.idempotency import ResultRecorder, idempotent
from souk.core.permissions import IsShopMemberOrAdmin
from souk.orders import policy, selectors
from souk.orders.api import serializers as s
from souk.orders.models import Coupon, Order
from souk.orders.services import cart as cart_services
from souk.orders.services import coupons as coupon_services
from souk.orders.services import lifecycle
from souk.orders.services.delivery import delivery_update
from souk.orders.services.placement import (
    DeliveryRequest,
    checkout_place,
    order_lines_resolve,
    order_place,
)
from souk.shops.api.views import ShopObjectMixin
from souk.shops.selectors import shop_get

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
STATUS_NOTE = (
    "Shop members and administrators move a paid order forward: paid -> processing -> "
    "shipped -> delivered; a pickup order goes processing -> delivered when it is collected "
    "(it is never shipped). Anything else is 409 `invalid_transition`."
)


def _placement_args(data: dict[str, Any]) -> dict[str, Any]:
    delivery = data.get("delivery")
    return {
        "address_id": data.get("shipping_address"),
        "address": data.get("address"),
        "coupon_code": data.get("coupon") or None,
        "delivery": DeliveryRequest(**delivery) if delivery else None,
    }


def _cart_response(request: Request) -> Response:
    view = cart_services.cart_view(user=request_user(request))
    return Response(
        s.CartSerializer(
            {
                "items": view.items,
                "subtotal": view.subtotal,
                "discount": view.discount,
                "total": view.total,
                "currency": view.currency,
                "coupon": view.coupon,
            }
        ).data
    )


# --- Cart ------------------------------------------------------------------------------------


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
        data = s.CartItemAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        variant = cart_services.variant_for(
            variant_id=values.get("variant"), product_id=values.get("product")
        )
        cart_services.cart_item_add(
            user=request_user(request), variant=variant, quantity=values["quantity"]
        )
        response = _cart_response(request)
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


# --- Checkout and orders ---------------------------------------------------------------------


@extend_schema(tags=["orders"])
class CheckoutView(GenericAPIView):
    serializer_class = s.CheckoutSerializer
    permission_classes = [IsAuthenticated]

    def created(self, request: Request, checkout_id: int) -> Response:
        checkout = selectors.checkout_get(user=request_user(request), checkout_id=checkout_id)
        if checkout is None:
            raise NotFound("No such checkout.")
        return Response(self.get_serializer(checkout).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CheckoutCreateSerializer,
        responses={201: s.CheckoutSerializer},
        description="Check the whole cart out: one order per shop, the stock taken at once and "
        "the cart emptied. If any line is short of stock, 409 `insufficient_stock` lists every "
        "short line and nothing changes." + DESTINATION_NOTE + IDEMPOTENCY_NOTE,
    )
    @idempotent(resume=created)
    def post(self, request: Request, *, record: ResultRecorder | None) -> Response:
        data = s.CheckoutCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        placed = checkout_place(
            user=request_user(request), on_placed=record, **_placement_args(data.validated_data)
        )
        return self.created(request, placed.pk)


@extend_schema(tags=["orders"])
class OrderListView(GenericAPIView):
    serializer_class = s.OrderSerializer
    permission_classes = [IsAuthenticated]
    queryset = Order.objects.none()

    @extend_schema(
        operation_id="orders_list",
        responses=s.OrderSerializer(many=True),
        parameters=[s.OrderListQuerySerializer],
        description="Your own orders, newest first; with `shop`, that shop's orders (members); "
        "administrators see every order.",
    )
    def get(self, request: Request) -> Response:
        query = s.OrderListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        user = request_user(request)
        shop = None
        if "shop" in params:
            shop = shop_get(shop_id=params.pop("shop"))
            if shop is None:
                raise NotFound("No such shop.")
            policy.require_shop_orders_access(user=user, shop=shop)
        orders = selectors.order_list(user=user, shop=shop, **params)
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def created(self, request: Request, order_id: int) -> Response:
        order = selectors.order_get(user=request_user(request), order_id=order_id)
        if order is None:
            raise NotFound("No such order.")
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.OrderCreateSerializer,
        responses={201: s.OrderSerializer},
        description="A direct order from one shop, with the same rules as checkout."
        + DESTINATION_NOTE
        + IDEMPOTENCY_NOTE,
    )
    @idempotent(resume=created)
    def post(self, request: Request, *, record: ResultRecorder | None) -> Response:
        data = s.OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = order_place(
            user=request_user(request),
            shop=values["shop"],
            items=order_lines_resolve(values["items"]),
            on_placed=record,
            **_placement_args(values),
        )
        return self.created(request, order.pk)


class OrderObjectMixin:
    """Loads the order from the URL: visible to its buyer, its shop's members and
    administrators; anyone else gets 404."""

    kwargs: dict[str, Any]

    def get_order(self, request: Request) -> Order:
        if not hasattr(self, "_order"):
            order = selectors.order_get(user=request_user(request), order_id=self.kwargs["pk"])
            if order is None:
                raise NotFound("No such order.")
            self._order = order
        return self._order


@extend_schema(tags=["orders"])
class OrderDetailView(OrderObjectMixin, GenericAPIView):
    serializer_class = s.OrderSerializer
    permission_classes = [IsAuthenticated]
    queryset = Order.objects.none()

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_order(request)).data)

    @extend_schema(
        responses={204: NO_CONTENT},
        description="Administrators: soft delete (hidden from lists; kept in the ledger; "
        "restorable with `POST /api/orders/{id}/restore/` or in the Django admin).",
    )
    def delete(self, request: Request, pk: int) -> Response:
        order = self.get_order(request)
        policy.require_order_delete(user=request_user(request))
        lifecycle.order_soft_delete(order_id=order.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["orders"])
class OrderRestoreView(GenericAPIView):
    serializer_class = s.OrderSerializer
    permission_classes = [IsAuthenticated]
    queryset = Order.objects.none()

    @extend_schema(
        request=None,
        description="Administrators bring back a deleted order and get it back. Restoring an "
        "order that is not deleted changes nothing and answers the same. Anyone else: 403 "
        "on an order they can see, else 404.",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        if not policy.can_restore_order(user):
            if selectors.order_get(user=user, order_id=pk) is None:
                raise NotFound("No such order.")
            policy.require_order_restore(user=user)
        lifecycle.order_restore(order_id=pk)
        return Response(self.get_serializer(selectors.order_get(user=user, order_id=pk)).data)


@extend_schema(tags=["orders"])
class OrderCancelView(OrderObjectMixin, GenericAPIView):
    serializer_class = s.OrderSerializer
    permission_classes = [IsAuthenticated]
    queryset = Order.objects.none()

    @extend_schema(
        request=None,
        description="Cancel before shipping (buyer, shop member or administrator): the stock "
        "goes back and a paid order is refunded. Otherwise 409 `invalid_transition`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        order = self.get_order(request)
        lifecycle.order_cancel(order_id=order.pk, actor=request_user(request))
        return Response(
            self.get_serializer(selectors.order_get(user=request_user(request), order_id=pk)).data
        )


@extend_schema(tags=["orders"])
class OrderStatusView(OrderObjectMixin, GenericAPIView):
    serializer_class = s.OrderSerializer
    permission_classes = [IsAuthenticated]
    queryset = Order.objects.none()

    @extend_schema(
        request=s.StatusSerializer,
        description=STATUS_NOTE,
    )
    def post(self, request: Request, pk: int) -> Response:
        policy.require_order_status_change(
            user=request_user(request), order=self.get_order(request)
        )
        data = s.StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lifecycle.order_transition(
            order_id=pk, status=data.validated_data["status"], actor=request_user(request)
        )
        return Response(
            self.get_serializer(selectors.order_get(user=request_user(request), order_id=pk)).data
        )


@extend_schema(tags=["orders"])
class OrderDeliveryView(OrderObjectMixin, GenericAPIView):
    serializer_class = s.DeliverySerializer
    permission_classes = [IsAuthenticated]
    queryset = Order.objects.none()

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(selectors.delivery_of(self.get_order(request))).data)

    @extend_schema(
        request=s.DeliveryUpdateSerializer,
        description="The buyer sets `method`, `window_start`, `window_end` and `notes` before "
        "shipping; shop members set `carrier`, `tracking_number` and `notes`. Fields sent "
        "unchanged are ignored; changing another role's field is 403.",
    )
    def put(self, request: Request, pk: int) -> Response:
        user, order = request_user(request), self.get_order(request)
        policy.require_delivery_edit(user=user, order=order)
        data = s.DeliveryUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = delivery_update(
            order_id=pk,
            data=dict(data.validated_data),
            as_buyer=policy.is_buyer(user, order),
            as_member=policy.is_order_member(user, order),
        )
        return Response(self.get_serializer(schedule).data)


@extend_schema(tags=["shops"])
class ShopOrdersView(ShopObjectMixin, GenericAPIView):
    serializer_class = s.OrderSerializer
    permission_classes = [IsAuthenticated, IsShopMemberOrAdmin]
    queryset = Order.objects.none()

    @extend_schema(
        operation_id="shops_orders_list",
        responses=s.OrderSerializer(many=True),
        parameters=[s.OrderListQuerySerializer],
        description="The shop's orders, newest first: the same rows as "
        "`/api/orders/?shop={id}`. For the shop's members and administrators; anyone else "
        "is 403.",
    )
    def get(self, request: Request, pk: int) -> Response:
        query = s.OrderListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        params.pop("shop", None)
        orders = selectors.order_list(
            user=request_user(request), shop=self.get_permission_shop(), **params
        )
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- Coupons ---------------------------------------------------------------------------------


@extend_schema(tags=["coupons"])
class CouponListView(GenericAPIView):
    serializer_class = s.CouponSerializer
    permission_classes = [IsAuthenticated]
    queryset = Coupon.objects.none()

    @extend_schema(
        operation_id="coupons_list",
        responses=s.CouponSerializer(many=True),
        description="Coupons of the shops you belong to; administrators see every coupon.",
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        policy.require_any_coupon_manager(user=user)
        page = self.paginate_queryset(selectors.coupons_visible(user=user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=s.CouponWriteSerializer,
        responses={201: s.CouponSerializer},
        description="Members create coupons for their shop; administrators also platform-wide "
        "ones (no `shop`).",
    )
    def post(self, request: Request) -> Response:
        data = s.CouponWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        coupon = coupon_services.coupon_create(
            actor=request_user(request), data=dict(data.validated_data)
        )
        return Response(self.get_serializer(coupon).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["coupons"])
class CouponDetailView(GenericAPIView):
    serializer_class = s.CouponSerializer
    permission_classes = [IsAuthenticated]
    queryset = Coupon.objects.none()

    def get_coupon(self, pk: int) -> Coupon:
        coupon = selectors.coupons_visible(user=request_user(self.request)).filter(pk=pk).first()
        if coupon is None:
            raise NotFound("No such coupon.")
        return coupon

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_coupon(pk)).data)

    @extend_schema(request=s.CouponWriteSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        coupon = self.get_coupon(pk)
        data = s.CouponWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = coupon_services.coupon_update(
            actor=request_user(request), coupon=coupon, data=dict(data.validated_data)
        )
        return Response(self.get_serializer(updated).data)

    @extend_schema(
        responses={204: NO_CONTENT},
        description="Soft delete: the code stops working; orders that used it keep it. "
        "Administrators can restore it with `POST /api/coupons/{id}/restore/`.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        coupon_services.coupon_delete(actor=request_user(request), coupon=self.get_coupon(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["coupons"])
class CouponRestoreView(GenericAPIView):
    serializer_class = s.CouponSerializer
    permission_classes = [IsAuthenticated]
    queryset = Coupon.objects.none()

    @extend_schema(
        request=None,
        description="Administrators bring back a deleted coupon and get it back; its code "
        "works again. Restoring a coupon that is not deleted changes nothing and answers the "
        "same. If another live coupon took the code meanwhile: 409 `conflict`. Anyone else: "
        "403 on a coupon they can see, else 404.",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        if not policy.can_restore_coupon(user):
            if not selectors.coupons_visible(user=user).filter(pk=pk).exists():
                raise NotFound("No such coupon.")
            policy.require_coupon_restore(user=user)
        coupon = coupon_services.coupon_restore(actor=user, coupon_id=pk)
        return Response(self.get_serializer(coupon).data)
