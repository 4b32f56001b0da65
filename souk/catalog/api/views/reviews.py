from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.catalog.api.serializers.reviews import ReviewCreateSerializer, ReviewSerializer
from souk.catalog.api.views.common import (
    NO_CONTENT,
    RESTORE_DESCRIPTION,
    ProductObjectMixin,
    RestoreView,
)
from souk.catalog.models import Review
from souk.catalog.selectors.reviews import product_reviews, review_get, review_get_any
from souk.catalog.services import reviews as review_services
from souk.core.exceptions import NotFound
from souk.shops.policy import restore_target


@extend_schema(tags=["catalog"])
class ReviewListView(ProductObjectMixin, GenericAPIView):
    serializer_class = ReviewSerializer
    queryset = Review.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        operation_id="products_reviews_list",
        responses=ReviewSerializer(many=True),
        description="Newest first.",
    )
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(product_reviews(product=self.get_product()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer},
        description="Customers who received the product (a delivered order line of it) review "
        "it once: 403 without such a line, 409 `conflict` for a second review.",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_services.review_create(
            customer=request_user(request), product=self.get_product(), **data.validated_data
        )
        created = product_reviews(product=self.get_product()).get(pk=review.pk)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["catalog"])
class ReviewDetailView(ProductObjectMixin, GenericAPIView):
    serializer_class = ReviewSerializer
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


@extend_schema(tags=["catalog"])
class ReviewRestoreView(ProductObjectMixin, RestoreView):
    serializer_class = ReviewSerializer
    queryset = Review.objects.none()

    @extend_schema(request=None, responses={200: ReviewSerializer}, description=RESTORE_DESCRIPTION)
    def post(self, request: Request, pk: int, rid: int) -> Response:
        review = restore_target(
            user=request.user,
            obj=review_get_any(product=self.get_product(), review_id=rid),
            name="review",
        )
        return Response(self.get_serializer(review_services.review_restore(review=review)).data)
