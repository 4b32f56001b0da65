from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.catalog.api import serializers as s
from souk.catalog.models import Category, Product, ProductImage, Review, Variant
from souk.catalog.selectors import categories as category_selectors
from souk.catalog.selectors.discovery import product_discover, product_suggest
from souk.catalog.selectors.products import ProductFilters, product_get
from souk.catalog.selectors.reviews import product_reviews
from souk.catalog.services import categories as category_services
from souk.catalog.services import images as image_services
from souk.catalog.services import products as product_services
from souk.catalog.services import reviews as review_services
from souk.core.exceptions import DomainError, NotFound
from souk.core.geo import Near
from souk.core.pagination import EstimatedCountPagination
from souk.core.permissions import IsPlatformAdmin, IsShopMember
from souk.core.throttling import ClientIPThrottle

NO_CONTENT = OpenApiResponse(description="Done; no body.")


class RequestTooLarge(DomainError):
    status_code = 413
    code = "request_too_large"
    title = "Request too large"


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


class DiscoveryListView(GenericAPIView):
    """Shared by the product list, geosearch and the search alias."""

    serializer_class = s.ProductSerializer
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
class ProductListView(DiscoveryListView):
    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        operation_id="products_list",
        parameters=[s.ProductQuerySerializer],
        responses=s.ProductSerializer(many=True),
        description='Filters combine. With `search` (websearch syntax: words, "phrases", '
        "-exclusions, OR) results come by relevance unless `ordering` is given. `count` is "
        "exact when `count_exact` is true, else an estimate.",
    )
    def get(self, request: Request) -> Response:
        query = s.ProductQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self.discover(request, query.validated_data, near=None)

    @extend_schema(
        request=s.ProductCreateSerializer,
        responses={201: s.ProductSerializer},
        description="Members of `shop` only. A simple product takes `price`, `quantity` and "
        "optionally `sku` (one default variant); or give `variants`.",
    )
    def post(self, request: Request) -> Response:
        data = s.ProductCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = product_services.product_create(
            actor=request_user(request), data=data.validated_data
        )
        return Response(
            self.get_serializer(product_get(product_id=product.pk)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["catalog"])
class GeosearchView(DiscoveryListView):
    @extend_schema(
        operation_id="products_geosearch",
        parameters=[s.GeoQuerySerializer],
        responses=s.ProductSerializer(many=True),
        description="Products within `radius` km (default 10, max 500) of `lat`,`lng`, "
        "nearest first, each with `distance_km`; every list filter applies.",
    )
    def get(self, request: Request) -> Response:
        query = s.GeoQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        near = Near(
            lat=params["lat"],
            lng=params["lng"],
            radius_km=params.get("radius", settings.GEOSEARCH_DEFAULT_RADIUS_KM),
        )
        return self.discover(request, params, near=near)


@extend_schema(tags=["catalog"])
class SearchProductsView(DiscoveryListView):
    @extend_schema(
        operation_id="search_products_list",
        parameters=[s.SearchAliasQuerySerializer],
        responses=s.ProductSerializer(many=True),
        description="/api/products/ under other parameter names: q, min_price, max_price, "
        "store_id, category, in_stock, sort.",
    )
    def get(self, request: Request) -> Response:
        query = s.SearchAliasQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self.discover(request, query.to_product_query(), near=None)


@extend_schema(tags=["catalog"])
class SuggestView(GenericAPIView):
    queryset = Product.objects.none()
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [SuggestThrottle]
    serializer_class = s.SuggestionSerializer
    pagination_class = None  # a short array, best first

    @extend_schema(
        parameters=[s.SuggestQuerySerializer],
        responses=s.SuggestionSerializer(many=True),
        description="Up to 10 products whose names match what was typed so far, tolerant "
        'of typos ("ceramc" finds "Ceramic ..."), one per distinct name, best first.',
    )
    def get(self, request: Request) -> Response:
        query = s.SuggestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(product_suggest(query.validated_data["q"]))


@extend_schema(tags=["catalog"])
class ProductDetailView(ProductObjectMixin, GenericAPIView):
    serializer_class = s.ProductSerializer
    queryset = Product.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated(), IsShopMember()]

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_product()).data)

    @extend_schema(request=s.ProductUpdateSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        data = s.ProductUpdateSerializer(data=request.data, partial=True)
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
class VariantListView(ProductObjectMixin, GenericAPIView):
    serializer_class = s.VariantSerializer
    queryset = Variant.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated(), IsShopMember()]

    @extend_schema(operation_id="products_variants_list", responses=s.VariantSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        variants = Variant.objects.filter(product=self.get_product()).order_by("position", "id")
        page = self.paginate_queryset(variants)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=s.VariantInputSerializer, responses={201: s.VariantSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = s.VariantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        variant = product_services.variant_create(
            actor=request_user(request), product=self.get_product(), data=data.validated_data
        )
        return Response(self.get_serializer(variant).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["catalog"])
class VariantDetailView(ProductObjectMixin, GenericAPIView):
    serializer_class = s.VariantSerializer
    queryset = Variant.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated(), IsShopMember()]

    def get_variant(self) -> Variant:
        variant = Variant.objects.filter(product=self.get_product(), pk=self.kwargs["vid"]).first()
        if variant is None:
            raise NotFound("No such variant.")
        return variant

    def get(self, request: Request, pk: int, vid: int) -> Response:
        return Response(self.get_serializer(self.get_variant()).data)

    @extend_schema(request=s.VariantUpdateSerializer)
    def patch(self, request: Request, pk: int, vid: int) -> Response:
        variant = self.get_variant()
        data = s.VariantUpdateSerializer(data=request.data, partial=True)
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
class ImageUploadView(ProductObjectMixin, GenericAPIView):
    serializer_class = s.ImageSerializer
    queryset = ProductImage.objects.none()
    parser_classes = [MultiPartParser]
    permission_classes = [IsAuthenticated, IsShopMember]

    @extend_schema(
        request={"multipart/form-data": s.ImageUploadSerializer},
        responses={201: s.ImageSerializer},
        description="A really decodable JPEG, PNG or WebP of at most 5 MB and 8000 px a side; "
        "stored without its metadata, with a thumbnail.",
    )
    def post(self, request: Request, pk: int) -> Response:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.IMAGE_MAX_BYTES + 64 * 1024:
            raise RequestTooLarge("Images may be at most 5 MB.")
        product = self.get_product()
        data = s.ImageUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = image_services.image_add(
            actor=request_user(request),
            product=product,
            upload=data.validated_data["image"],
            alt=data.validated_data["alt"],
        )
        return Response(self.get_serializer(image).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["catalog"])
class ImageDetailView(ProductObjectMixin, GenericAPIView):
    queryset = ProductImage.objects.none()
    permission_classes = [IsAuthenticated, IsShopMember]

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, pk: int, iid: int) -> Response:
        image = ProductImage.objects.filter(product=self.get_product(), pk=iid).first()
        if image is None:
            raise NotFound("No such image.")
        image_services.image_delete(actor=request_user(request), image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["catalog"])
class CategoryListView(GenericAPIView):
    queryset = Category.objects.none()
    serializer_class = s.CategoryTreeSerializer
    pagination_class = None

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsPlatformAdmin()]
        return [AllowAny()]

    @extend_schema(
        responses=s.CategoryTreeSerializer(many=True),
        description="The whole tree; `?flat=true` for a flat list with `parent` ids "
        "(CategoryFlat). Not paginated: the tree is small and cached.",
    )
    def get(self, request: Request) -> Response:
        if request.query_params.get("flat", "").lower() in ("1", "true", "yes"):
            rows = category_selectors.category_rows()
            return Response([{k: row[k] for k in ("id", "name", "slug", "parent")} for row in rows])
        return Response(category_selectors.category_tree())

    @extend_schema(request=s.CategoryWriteSerializer, responses={201: s.CategoryFlatSerializer})
    def post(self, request: Request) -> Response:
        data = s.CategoryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = category_services.category_create(
            name=data.validated_data["name"], parent=data.validated_data.get("parent")
        )
        return Response(_category_row(category), status=status.HTTP_201_CREATED)


def _category_row(category: Category) -> dict[str, Any]:
    parent = Category.objects.get_parent(category)
    return {
        "id": category.pk,
        "name": category.name,
        "slug": category.slug,
        "parent": parent.pk if parent else None,
    }


@extend_schema(tags=["catalog"])
class CategoryDetailView(GenericAPIView):
    queryset = Category.objects.none()
    serializer_class = s.CategoryFlatSerializer

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated(), IsPlatformAdmin()]

    def get_category(self) -> Category:
        category = Category.objects.filter(pk=self.kwargs["pk"]).first()
        if category is None:
            raise NotFound("No such category.")
        return category

    def get(self, request: Request, pk: int) -> Response:
        return Response(_category_row(self.get_category()))

    @extend_schema(
        request=s.CategoryWriteSerializer,
        description="Rename, and/or move with `parent` (null: make it a root).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        category = self.get_category()
        data = s.CategoryWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        category = category_services.category_update(
            category=category,
            name=data.validated_data.get("name"),
            parent=data.validated_data.get("parent"),
            move="parent" in data.validated_data,
        )
        return Response(_category_row(category))

    @extend_schema(
        responses={204: NO_CONTENT},
        description="Deletes the category and those below it; 409 while products use them.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        category_services.category_delete(category=self.get_category())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["catalog"])
class ReviewListView(ProductObjectMixin, GenericAPIView):
    serializer_class = s.ReviewSerializer
    queryset = Review.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        operation_id="products_reviews_list",
        responses=s.ReviewSerializer(many=True),
        description="Newest first.",
    )
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(product_reviews(product=self.get_product()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=s.ReviewCreateSerializer,
        responses={201: s.ReviewSerializer},
        description="Customers who received the product (a delivered order line of it) review "
        "it once: 403 without such a line, 409 `conflict` for a second review.",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_services.review_create(
            customer=request_user(request), product=self.get_product(), **data.validated_data
        )
        created = product_reviews(product=self.get_product()).get(pk=review.pk)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)
