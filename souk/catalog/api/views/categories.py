from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.catalog.api.serializers.categories import (
    CategoryFlatSerializer,
    CategoryTreeSerializer,
    CategoryWriteSerializer,
)
from souk.catalog.api.views.common import NO_CONTENT, RESTORE_DESCRIPTION, RestoreView
from souk.catalog.models import Category
from souk.catalog.selectors import categories as category_selectors
from souk.catalog.services import categories as category_services
from souk.core.exceptions import NotFound
from souk.core.permissions import IsPlatformAdmin
from souk.shops.policy import restore_target


@extend_schema(tags=["catalog"])
class CategoryListView(GenericAPIView):
    queryset = Category.objects.none()
    serializer_class = CategoryTreeSerializer
    pagination_class = None

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsPlatformAdmin()]
        return [AllowAny()]

    @extend_schema(
        responses=CategoryTreeSerializer(many=True),
        description="The whole tree; `?flat=true` for a flat list with `parent` ids "
        "(CategoryFlat). Not paginated: the tree is small and cached.",
    )
    def get(self, request: Request) -> Response:
        if request.query_params.get("flat", "").lower() in ("1", "true", "yes"):
            rows = category_selectors.category_rows()
            return Response([{k: row[k] for k in ("id", "name", "slug", "parent")} for row in rows])
        return Response(category_selectors.category_tree())

    @extend_schema(request=CategoryWriteSerializer, responses={201: CategoryFlatSerializer})
    def post(self, request: Request) -> Response:
        data = CategoryWriteSerializer(data=request.data)
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
    serializer_class = CategoryFlatSerializer

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
        request=CategoryWriteSerializer,
        description="Rename, and/or move with `parent` (null: make it a root).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        category = self.get_category()
        data = CategoryWriteSerializer(data=request.data, partial=True)
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
class CategoryRestoreView(RestoreView):
    serializer_class = CategoryFlatSerializer
    queryset = Category.objects.none()

    @extend_schema(
        request=None, responses={200: CategoryFlatSerializer}, description=RESTORE_DESCRIPTION
    )
    def post(self, request: Request, pk: int) -> Response:
        category = restore_target(
            user=request.user,
            obj=category_selectors.category_get_any(category_id=pk),
            name="category",
        )
        return Response(_category_row(category_services.category_restore(category=category)))
