from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.catalog.api.serializers.products import (
    VariantInputSerializer,
    VariantSerializer,
    VariantUpdateSerializer,
)
from souk.catalog.api.views.common import (
    NO_CONTENT,
    RESTORE_DESCRIPTION,
    ProductObjectMixin,
    RestoreView,
)
from souk.catalog.models import Variant
from souk.catalog.selectors.products import variant_get_any
from souk.catalog.services import products as product_services
from souk.core.exceptions import NotFound
from souk.core.permissions import IsShopMemberOrAdmin
from souk.shops.policy import restore_target


@extend_schema(tags=["catalog"])
class VariantListView(ProductObjectMixin, GenericAPIView):
    serializer_class = VariantSerializer
    queryset = Variant.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated(), IsShopMemberOrAdmin()]

    @extend_schema(operation_id="products_variants_list", responses=VariantSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        variants = Variant.objects.filter(product=self.get_product()).order_by("position", "id")
        page = self.paginate_queryset(variants)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=VariantInputSerializer, responses={201: VariantSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = VariantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        variant = product_services.variant_create(
            actor=request_user(request), product=self.get_product(), data=data.validated_data
        )
        return Response(self.get_serializer(variant).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["catalog"])
class VariantDetailView(ProductObjectMixin, GenericAPIView):
    serializer_class = VariantSerializer
    queryset = Variant.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated(), IsShopMemberOrAdmin()]

    def get_variant(self) -> Variant:
        variant = Variant.objects.filter(product=self.get_product(), pk=self.kwargs["vid"]).first()
        if variant is None:
            raise NotFound("No such variant.")
        return variant

    def get(self, request: Request, pk: int, vid: int) -> Response:
        return Response(self.get_serializer(self.get_variant()).data)

    @extend_schema(request=VariantUpdateSerializer)
    def patch(self, request: Request, pk: int, vid: int) -> Response:
        variant = self.get_variant()
        data = VariantUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        variant = product_services.variant_update(
            actor=request_user(request),
            product=self.get_product(),
            variant=variant,
            data=data.validated_data,
        )
        return Response(self.get_serializer(variant).data)

    @extend_schema(responses={204: NO_CONTENT}, description="The last variant cannot go (409).")
    def delete(self, request: Request, pk: int, vid: int) -> Response:
        product_services.variant_delete(
            actor=request_user(request), product=self.get_product(), variant=self.get_variant()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["catalog"])
class VariantRestoreView(ProductObjectMixin, RestoreView):
    serializer_class = VariantSerializer
    queryset = Variant.objects.none()

    @extend_schema(
        request=None, responses={200: VariantSerializer}, description=RESTORE_DESCRIPTION
    )
    def post(self, request: Request, pk: int, vid: int) -> Response:
        product = self.get_product()
        variant = restore_target(
            user=request.user,
            obj=variant_get_any(product=product, variant_id=vid),
            name="variant",
        )
        product_services.variant_restore(product=product, variant=variant)
        return Response(self.get_serializer(variant).data)
