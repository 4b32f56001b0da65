from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from souk.catalog.api.serializers.discovery import (
    GeoQuerySerializer,
    SearchAliasQuerySerializer,
    SuggestionSerializer,
    SuggestQuerySerializer,
)
from souk.catalog.api.serializers.products import ProductSerializer
from souk.catalog.models import Product
from souk.catalog.selectors.discovery import product_discover, product_suggest
from souk.catalog.selectors.products import ProductFilters
from souk.core.db_router import replica_reads
from souk.core.geo import Near
from souk.core.pagination import EstimatedCountPagination
from souk.core.throttling import ClientIPThrottle
from souk.shops.geo import coordinate_safe


class SuggestThrottle(ClientIPThrottle):
    scope = "suggest"


def _filters(params: dict[str, Any]) -> ProductFilters:
    return ProductFilters(
        category=params.get("category"),
        shop=params.get("shop"),
        min_price=params.get("min_price"),
        max_price=params.get("max_price"),
        in_stock=params.get("in_stock"),
    )


class DiscoveryListView(GenericAPIView):
    """Shared by the product list, geosearch and the search alias."""

    serializer_class = ProductSerializer
    queryset = Product.objects.none()
    pagination_class = EstimatedCountPagination
    permission_classes = [AllowAny]

    def discover(self, request: Request, params: dict[str, Any], near: Near | None) -> Response:
        results = product_discover(
            filters=_filters(params),
            search=params.get("search"),
            ordering=params.get("ordering"),
            near=near,
        )
        paginator = EstimatedCountPagination()
        rows = paginator.paginate_results(results, request)
        return paginator.get_paginated_response(self.get_serializer(rows, many=True).data)


@extend_schema(tags=["catalog"])
class GeosearchView(DiscoveryListView):
    @extend_schema(
        operation_id="products_geosearch",
        parameters=[GeoQuerySerializer],
        responses=ProductSerializer(many=True),
        description="Products within `radius` km (default 10, max 500) of `lat`,`lng`, "
        "nearest first, each with `distance_km`; every list filter applies.",
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        query = GeoQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        near = Near(
            lat=coordinate_safe(params["lat"]),
            lng=coordinate_safe(params["lng"]),
            radius_km=params.get("radius", settings.GEOSEARCH_DEFAULT_RADIUS_KM),
        )
        return self.discover(request, params, near=near)


@extend_schema(tags=["catalog"])
class SearchProductsView(DiscoveryListView):
    @extend_schema(
        operation_id="search_products_list",
        parameters=[SearchAliasQuerySerializer],
        responses=ProductSerializer(many=True),
        description="/api/products/ under other parameter names: q, min_price, max_price, "
        "store_id, category, in_stock, sort.",
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        query = SearchAliasQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self.discover(request, query.to_product_query(), near=None)


@extend_schema(tags=["catalog"])
class SuggestView(GenericAPIView):
    queryset = Product.objects.none()
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [SuggestThrottle]
    serializer_class = SuggestionSerializer
    pagination_class = None  # a short array, best first

    @extend_schema(
        parameters=[SuggestQuerySerializer],
        responses=SuggestionSerializer(many=True),
        description="Up to 10 products whose names match what was typed so far, tolerant "
        'of typos ("ceramc" finds "Ceramic ..."), one per distinct name, best first.',
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        query = SuggestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(product_suggest(query.validated_data["q"]))
