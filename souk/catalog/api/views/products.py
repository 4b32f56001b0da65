from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.catalog.api.serializers.discovery import ProductQuerySerializer
from souk.catalog.api.serializers.products import (
    ProductCreateSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
)
from souk.catalog.api.views.common import (
    NO_CONTENT,
    RESTORE_DESCRIPTION,
    ProductObjectMixin,
    RestoreView,
)
from souk.catalog.api.views.discovery import DiscoveryListView
from souk.catalog.models import Product
from souk.catalog.selectors.products import product_get, product_get_any
from souk.catalog.services import products as product_services
from souk.core.db_router import replica_reads
from souk.core.permissions import IsShopMemberOrAdmin
from souk.shops.policy import restore_target


@extend_schema(tags=["catalog"])
class ProductListView(DiscoveryListView):
    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        operation_id="products_list",
        parameters=[ProductQuerySerializer],
        responses=ProductSerializer(many=True),
        description='Filters combine. With `search` (websearch syntax: words, "phrases", '
        "-exclusions, OR) results come by relevance unless `ordering` is given. `count` is "
        "exact when `count_exact` is true, else an estimate.",
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        query = ProductQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self.discover(request, query.validated_data, near=None)

    @extend_schema(
        request=ProductCreateSerializer,
        responses={201: ProductSerializer},
        description="Members of `shop` and administrators. A simple product takes `price`, "
        "`quantity` and optionally `sku` (one default variant); or give `variants`.",
    )
    def post(self, request: Request) -> Response:
        data = ProductCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = product_services.product_create(
            actor=request_user(request), data=data.validated_data
        )
        return Response(
            self.get_serializer(product_get(product_id=product.pk)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["catalog"])
class ProductDetailView(ProductObjectMixin, GenericAPIView):
    serializer_class = ProductSerializer
    queryset = Product.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated(), IsShopMemberOrAdmin()]

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_product()).data)

    @extend_schema(request=ProductUpdateSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        data = ProductUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        product_services.product_update(
            actor=request_user(request), product=self.get_product(), data=data.validated_data
        )
        return Response(self.get_serializer(product_get(product_id=pk)).data)

    @extend_schema(
        responses={204: NO_CONTENT},
        description="Soft delete: gone from listings; order history keeps it.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        product_services.product_delete(actor=request_user(request), product=self.get_product())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["catalog"])
class ProductRestoreView(RestoreView):
    serializer_class = ProductSerializer
    queryset = Product.objects.none()

    @extend_schema(
        request=None, responses={200: ProductSerializer}, description=RESTORE_DESCRIPTION
    )
    def post(self, request: Request, pk: int) -> Response:
        product = restore_target(
            user=request.user, obj=product_get_any(product_id=pk), name="product"
        )
        product_services.product_restore(product=product)
        return Response(self.get_serializer(product_get(product_id=pk)).data)
