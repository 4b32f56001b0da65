from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.core.exceptions import NotFound
from souk.orders import policy, selectors
from souk.orders.api import serializers as s
from souk.orders.api.views.common import NO_CONTENT
from souk.orders.models import Coupon
from souk.orders.services import coupons as coupon_services


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
