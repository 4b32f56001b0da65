from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.core.exceptions import NotFound, PermissionDeniedError
from souk.core.pagination import PageNumberPagination
from souk.inventory import policy, selectors
from souk.inventory.api import serializers as s
from souk.inventory.models import InventoryAlert, Purchase, StockMovement
from souk.inventory.services import alerts as alert_services
from souk.inventory.services import purchases as services
from souk.shops.api.views import ShopObjectMixin
from souk.shops.models import Shop
from souk.shops.selectors import shop_get

NO_CONTENT = OpenApiResponse(description="Done; no body.")


def stock_shop(request: Request, shop_id: int) -> Shop:
    """The shop named in the query, if the caller is one of its members or an administrator
    (else 404 or 403)."""
    shop = shop_get(shop_id=shop_id)
    if shop is None:
        raise NotFound("No such shop.")
    policy.require_stock_access(user=request.user, shop=shop)
    return shop


@extend_schema(tags=["inventory"])
class ShopInventoryView(ShopObjectMixin, GenericAPIView):
    serializer_class = s.InventoryRowSerializer
    permission_classes = [IsAuthenticated]
    queryset = Shop.objects.none()

    @extend_schema(
        operation_id="shops_inventory_list",
        responses=s.InventoryRowSerializer(many=True),
        description="Every variant of the shop with its stock, the units held by unpaid "
        "orders and whether it is low. Cached; a stock change shows on the next read.",
    )
    def get(self, request: Request, pk: int) -> Response:
        shop = self.get_permission_shop()
        policy.require_inventory_page(user=request.user, shop=shop)
        return PageNumberPagination().prefetched_response(
            request,
            self,
            lambda offset, limit: selectors.shop_inventory(shop=shop, offset=offset, limit=limit),
        )


@extend_schema(tags=["inventory"])
class AlertListView(GenericAPIView):
    serializer_class = s.AlertSerializer
    permission_classes = [IsAuthenticated]
    queryset = InventoryAlert.objects.none()

    @extend_schema(
        operation_id="inventory_alerts_list",
        responses=s.AlertSerializer(many=True),
        parameters=[s.AlertQuerySerializer],
        description="Active low-stock alerts of `shop` (its members and administrators), newest "
        "first, each with the variant's stock now. Without `shop`: every shop's alerts for an "
        "administrator, 400 for anyone else. Cached; a stock change shows on the next read.",
    )
    def get(self, request: Request) -> Response:
        query = s.AlertQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shop_id = query.validated_data.get("shop")
        if shop_id is None and not policy.may_list_every_shop(request.user):
            raise ValidationError({"shop": ["This field is required."]})
        shop = None if shop_id is None else stock_shop(request, shop_id)
        return PageNumberPagination().prefetched_response(
            request,
            self,
            lambda offset, limit: selectors.active_alerts(shop=shop, offset=offset, limit=limit),
        )


@extend_schema(tags=["inventory"])
class AlertDetailView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    queryset = InventoryAlert.objects.none()

    @extend_schema(
        operation_id="inventory_alerts_dismiss",
        request=None,
        responses={204: NO_CONTENT},
        description="Dismiss an active alert you have handled (members of its shop, "
        "administrators). It is kept, marked resolved and dismissed by you, and leaves the "
        "active list; the variant's next fall to the threshold raises a new alert. An alert "
        "you cannot see, or one no longer active, is 404.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        alert_services.alert_dismiss(actor=request_user(request), alert_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["inventory"])
class MovementListView(GenericAPIView):
    serializer_class = s.MovementSerializer
    permission_classes = [IsAuthenticated]
    queryset = StockMovement.objects.none()

    @extend_schema(
        operation_id="inventory_movements_list",
        responses=s.MovementSerializer(many=True),
        parameters=[s.MovementQuerySerializer],
        description="The stock ledger of the shop (its members, administrators), newest first; "
        "`variant` narrows it to one variant.",
    )
    def get(self, request: Request) -> Response:
        query = s.MovementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shop = stock_shop(request, query.validated_data["shop"])
        moves = selectors.movements(shop=shop, variant_id=query.validated_data.get("variant"))
        page = self.paginate_queryset(moves)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["inventory"])
class AdjustmentView(GenericAPIView):
    serializer_class = s.MovementSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.AdjustmentSerializer,
        responses={201: s.MovementSerializer},
        description="Correct a variant's stock by `delta` (members of its shop, administrators). "
        "A result below zero is 409 `insufficient_stock` and changes nothing.",
    )
    def post(self, request: Request) -> Response:
        data = s.AdjustmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        movement = services.stock_adjust(
            actor=request_user(request),
            variant_id=values["variant"],
            delta=values["delta"],
            note=values["note"],
        )
        return Response(self.get_serializer(movement).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["inventory"])
class PurchaseListView(GenericAPIView):
    serializer_class = s.PurchaseSerializer
    permission_classes = [IsAuthenticated]
    queryset = Purchase.objects.none()

    @extend_schema(
        operation_id="purchases_list",
        responses=s.PurchaseSerializer(many=True),
        parameters=[s.PurchaseListQuerySerializer],
        description="Standing restocks of the shops you belong to (administrators: of every "
        "shop), or of `shop` only; newest first.",
    )
    def get(self, request: Request) -> Response:
        query = s.PurchaseListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shop_ids: list[int] | None
        if "shop" in query.validated_data:
            shop_ids = [stock_shop(request, query.validated_data["shop"]).pk]
        else:
            shop_ids = policy.stock_shop_ids(request.user)
            if shop_ids == []:
                raise PermissionDeniedError("Only shop members and administrators see purchases.")
        page = self.paginate_queryset(selectors.purchases(shop_ids=shop_ids))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=s.PurchaseCreateSerializer,
        responses={201: s.PurchaseSerializer},
        description="Record a restock from a supplier (members of `shop`, administrators): "
        "each line raises its variant's stock.",
    )
    def post(self, request: Request) -> Response:
        data = s.PurchaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        purchase = services.purchase_create(actor=request_user(request), **data.validated_data)
        created = selectors.purchases(shop_ids=[purchase.shop_id]).get(pk=purchase.pk)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["inventory"])
class PurchaseDetailView(GenericAPIView):
    serializer_class = s.PurchaseSerializer
    permission_classes = [IsAuthenticated]
    queryset = Purchase.objects.none()

    def get_purchase(self, pk: int) -> Purchase:
        shop_ids = policy.stock_shop_ids(self.request.user)
        purchase = selectors.purchases(shop_ids=shop_ids).filter(pk=pk).first()
        if purchase is None:
            raise NotFound("No such purchase.")
        return purchase

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_purchase(pk)).data)

    @extend_schema(
        responses={204: NO_CONTENT},
        description="Reverse the restock: its units leave stock again. 409 "
        "`insufficient_stock` if some were sold meanwhile (nothing changes then).",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.purchase_reverse(actor=request_user(request), purchase=self.get_purchase(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
