from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
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
from souk.orders.api import plain
from souk.orders.api import serializers as s
from souk.orders.api.payloads import order_payload
from souk.orders.api.views.common import (
    DESTINATION_NOTE,
    IDEMPOTENCY_NOTE,
    NO_CONTENT,
    _placement_args,
)
from souk.orders.models import Order
from souk.orders.services import lifecycle
from souk.orders.services.placement import order_place
from souk.shops.api.views import ShopObjectMixin
from souk.shops.selectors import shop_get

STATUS_NOTE = (
    "Shop members and administrators move a paid order forward: paid -> processing -> "
    "shipped -> delivered; a pickup order goes processing -> delivered when it is collected "
    "(it is never shipped). Anything else is 409 `invalid_transition`."
)


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

    def placed(self, request: Request, order: Order) -> Response:
        """The answer for an order just placed, from the order itself (nothing is read back)."""
        return Response(order_payload(order), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.OrderCreateSerializer,
        responses={201: s.OrderSerializer},
        description="A direct order from one shop, with the same rules as checkout."
        + DESTINATION_NOTE
        + IDEMPOTENCY_NOTE,
    )
    @idempotent(resume=created)
    def post(self, request: Request, *, record: ResultRecorder | None) -> Response:
        values = plain.order_body(request.data)
        if values is None:
            data = s.OrderCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        order = order_place(
            user=request_user(request),
            shop=values["shop"],
            items=[dict(line) for line in values["items"]],
            on_placed=record,
            **_placement_args(values),
        )
        return self.placed(request, order)


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
