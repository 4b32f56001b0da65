from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
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
from souk.catalog.selectors.products import (
    ProductFilters,
    image_get_any,
    product_get,
    product_get_any,
    variant_get_any,
)
from souk.catalog.selectors.reviews import product_reviews, review_get, review_get_any
from souk.catalog.services import categories as category_services
from souk.catalog.services import images as image_services
from souk.catalog.services import products as product_services
from souk.catalog.services import reviews as review_services
from souk.core.exceptions import DomainError, NotFound
from souk.core.geo import Near
from souk.core.pagination import EstimatedCountPagination
from souk.core.permissions import IsPlatformAdmin, IsShopMemberOrAdmin
from souk.core.throttling import ClientIPThrottle
from souk.shops.geo import coordinate_safe
from souk.shops.policy import restore_target

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
        description="Members of `shop` and administrators. A simple product takes `price`, "
        "`quantity` and optionally `sku` (one default variant); or give `variants`.",
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
            lat=coordinate_safe(params["lat"]),
            lng=coordinate_safe(params["lng"]),
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
        return [IsAuthenticated(), IsShopMemberOrAdmin()]

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
        return [IsAuthenticated(), IsShopMemberOrAdmin()]

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
        return [IsAuthenticated(), IsShopMemberOrAdmin()]

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
    permission_classes = [IsAuthenticated, IsShopMemberOrAdmin]

    @extend_schema(
        request={"multipart/form-data": s.ImageUploadSerializer},
        responses={201: s.ImageSerializer},
        description="A really decodable JPEG, PNG or WebP of at most 5 MB, 8000 px a side and "
        "12.5 megapixels (a larger baseline JPEG is stored scaled down); stored without its "
        "metadata, with a thumbnail.",
    )
    def post(self, request: Request, pk: int) -> Response:
        raw_length = str(request.META.get("CONTENT_LENGTH") or "0")
        if not (raw_length.isascii() and raw_length.isdigit()):
            raise ParseError("The Content-Length header is not a number of bytes.")
        if int(raw_length) > settings.IMAGE_MAX_BYTES + 64 * 1024:
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
    permission_classes = [IsAuthenticated, IsShopMemberOrAdmin]

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
        category = category_selectors.category_get(category_id=self.kwargs["pk"])
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
        description="Soft deletes the category and those below it; 409 while products "
        "(live or deleted) use them.",
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


@extend_schema(tags=["catalog"])
class ReviewDetailView(ProductObjectMixin, GenericAPIView):
    serializer_class = s.ReviewSerializer
    queryset = Review.objects.none()
    permission_classes = [IsAuthenticated]

    def get(self, request: Request, pk: int, rid: int) -> Response:
        return Response(self.get_serializer(self._review()).data)

    @extend_schema(
        responses={204: NO_CONTENT},
        description="Soft delete, by the review's author or an administrator; the product's "
        "and shop's ratings forget it.",
    )
    def delete(self, request: Request, pk: int, rid: int) -> Response:
        review_services.review_delete(actor=request_user(request), review=self._review())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def _review(self) -> Review:
        review = review_get(product=self.get_product(), review_id=self.kwargs["rid"])
        if review is None:
            raise NotFound("No such review.")
        return review


RESTORE_DESCRIPTION = (
    "Platform administrators bring back what a DELETE hid. Restoring a live object returns it "
    "unchanged; 409 `conflict` if a live object has taken its place meanwhile (or, for a "
    "product, while its shop is closed; for a category, while its parent is deleted). Anyone "
    "else: 404 for a deleted object, 403 for a live one."
)


class RestoreView(GenericAPIView):
    permission_classes = [IsAuthenticated]


@extend_schema(tags=["catalog"])
class ProductRestoreView(RestoreView):
    serializer_class = s.ProductSerializer
    queryset = Product.objects.none()

    @extend_schema(
        request=None, responses={200: s.ProductSerializer}, description=RESTORE_DESCRIPTION
    )
    def post(self, request: Request, pk: int) -> Response:
        product = restore_target(
            user=request.user, obj=product_get_any(product_id=pk), name="product"
        )
        product_services.product_restore(product=product)
        return Response(self.get_serializer(product_get(product_id=pk)).data)


@extend_schema(tags=["catalog"])
class VariantRestoreView(ProductObjectMixin, RestoreView):
    serializer_class = s.VariantSerializer
    queryset = Variant.objects.none()

    @extend_schema(
        request=None, responses={200: s.VariantSerializer}, description=RESTORE_DESCRIPTION
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


@extend_schema(tags=["catalog"])
class ImageRestoreView(ProductObjectMixin, RestoreView):
    serializer_class = s.ImageSerializer
    queryset = ProductImage.objects.none()

    @extend_schema(
        request=None, responses={200: s.ImageSerializer}, description=RESTORE_DESCRIPTION
    )
    def post(self, request: Request, pk: int, iid: int) -> Response:
        image = restore_target(
            user=request.user,
            obj=image_get_any(product=self.get_product(), image_id=iid),
            name="image",
        )
        return Response(self.get_serializer(image_services.image_restore(image=image)).data)


@extend_schema(tags=["catalog"])
class ReviewRestoreView(ProductObjectMixin, RestoreView):
    serializer_class = s.ReviewSerializer
    queryset = Review.objects.none()

    @extend_schema(
        request=None, responses={200: s.ReviewSerializer}, description=RESTORE_DESCRIPTION
    )
    def post(self, request: Request, pk: int, rid: int) -> Response:
        review = restore_target(
            user=request.user,
            obj=review_get_any(product=self.get_product(), review_id=rid),
            name="review",
        )
        return Response(self.get_serializer(review_services.review_restore(review=review)).data)


@extend_schema(tags=["catalog"])
class CategoryRestoreView(RestoreView):
    serializer_class = s.CategoryFlatSerializer
    queryset = Category.objects.none()

    @extend_schema(
        request=None, responses={200: s.CategoryFlatSerializer}, description=RESTORE_DESCRIPTION
    )
    def post(self, request: Request, pk: int) -> Response:
        category = restore_target(
            user=request.user,
            obj=category_selectors.category_get_any(category_id=pk),
            name="category",
        )
        return Response(_category_row(category_services.category_restore(category=category)))
