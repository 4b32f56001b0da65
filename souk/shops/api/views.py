from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.core.db_router import replica_reads
from souk.core.exceptions import NotFound
from souk.core.geo import Near, within
from souk.core.permissions import IsArtisan, IsShopOwner, IsShopOwnerOrAdmin, is_platform_admin
from souk.shops import selectors, services
from souk.shops.api import serializers as s
from souk.shops.geo import coordinate_safe
from souk.shops.models import Shop
from souk.shops.policy import restore_target

NO_CONTENT = OpenApiResponse(description="Done; no body.")


def near_from(params: dict[str, Any]) -> Near | None:
    if "lat" not in params:
        return None
    return Near(
        lat=coordinate_safe(params["lat"]),
        lng=coordinate_safe(params["lng"]),
        radius_km=params.get("radius", settings.GEOSEARCH_DEFAULT_RADIUS_KM),
    )


class ShopObjectMixin:
    """Loads the shop from the URL; deleted or missing shops are 404."""

    kwargs: dict[str, Any]

    def get_shop(self) -> Shop:
        shop = selectors.shop_get(shop_id=self.kwargs["pk"])
        if shop is None:
            raise NotFound("No such shop.")
        return shop

    def get_permission_shop(self) -> Shop:
        if not hasattr(self, "_shop"):
            self._shop = self.get_shop()
        return self._shop


@extend_schema(tags=["shops"])
class ShopListView(GenericAPIView):
    serializer_class = s.ShopSerializer
    queryset = Shop.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsArtisan()]
        return [AllowAny()]

    @extend_schema(
        operation_id="shops_list",
        parameters=[s.ShopListQuerySerializer],
        responses=s.ShopSerializer(many=True),
        description="`search` (websearch syntax), `owner=me`, `member=me`; with `lat`, `lng` "
        "(and `radius` in km, default 10, max 500) shops within the radius, nearest first, "
        "each with `distance_km`.",
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        query = s.ShopListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        me = None
        if "owner" in params or "member" in params:
            if not request.user.is_authenticated:
                raise NotAuthenticated()
            me = request_user(request)
        shops = selectors.shop_list(
            search=params.get("search"),
            owner=me if "owner" in params else None,
            member=me if "member" in params else None,
        )
        near = near_from(params)
        if near is not None:
            shops = within(shops, near)
        page = self.paginate_queryset(shops)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=s.ShopWriteSerializer, responses={201: s.ShopSerializer})
    def post(self, request: Request) -> Response:
        data = s.ShopWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shop = services.shop_create(owner=request_user(request), data=data.validated_data)
        created = selectors.shop_get(shop_id=shop.pk)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["shops"])
class ShopDetailView(ShopObjectMixin, GenericAPIView):
    serializer_class = s.ShopSerializer
    queryset = Shop.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        if self.request.method == "DELETE":
            return [IsAuthenticated(), IsShopOwnerOrAdmin()]
        return [IsAuthenticated(), IsShopOwner()]

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_shop()).data)

    def _update(self, request: Request, partial: bool) -> Response:
        shop = self.get_permission_shop()
        data = s.ShopWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.shop_update(shop=shop, data=data.validated_data)
        return Response(self.get_serializer(selectors.shop_get(shop_id=shop.pk)).data)

    @extend_schema(request=s.ShopWriteSerializer)
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=s.ShopWriteSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        responses={204: NO_CONTENT},
        description="Soft delete: the shop and its products disappear from listings; order "
        "history keeps them. Owner or administrator.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.shop_delete(shop=self.get_permission_shop())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["shops"])
class ShopStaffView(ShopObjectMixin, GenericAPIView):
    serializer_class = s.ShopMemberSerializer
    queryset = Shop.objects.none()
    permission_classes = [IsAuthenticated, IsShopOwner]

    @extend_schema(operation_id="shops_staff_list", responses=s.ShopMemberSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        members = selectors.shop_members(shop=self.get_permission_shop())
        page = self.paginate_queryset(members)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=s.StaffAddSerializer,
        responses={201: s.ShopMemberSerializer},
        description="Add an existing user (by email) as staff.",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.StaffAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.staff_add(shop=self.get_permission_shop(), **data.validated_data)
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["shops"])
class ShopStaffMemberView(ShopObjectMixin, GenericAPIView):
    queryset = Shop.objects.none()
    permission_classes = [IsAuthenticated, IsShopOwner]

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        services.staff_remove(shop=self.get_permission_shop(), user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


RESTORE_DESCRIPTION = (
    "Platform administrators bring back what a DELETE hid. Restoring a live object returns it "
    "unchanged; 409 `conflict` if a live object has taken its place meanwhile. Anyone else: "
    "404 for a deleted object, 403 for a live one."
)


@extend_schema(tags=["shops"])
class ShopRestoreView(GenericAPIView):
    serializer_class = s.ShopSerializer
    queryset = Shop.objects.none()
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: s.ShopSerializer}, description=RESTORE_DESCRIPTION)
    def post(self, request: Request, pk: int) -> Response:
        shop = restore_target(
            user=request.user, obj=selectors.shop_get_any(shop_id=pk), name="shop"
        )
        services.shop_restore(shop=shop)
        return Response(self.get_serializer(selectors.shop_get(shop_id=pk)).data)


@extend_schema(tags=["shops"])
class ShopStaffRestoreView(ShopObjectMixin, GenericAPIView):
    serializer_class = s.ShopMemberSerializer
    queryset = Shop.objects.none()
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses={200: s.ShopMemberSerializer}, description=RESTORE_DESCRIPTION
    )
    def post(self, request: Request, pk: int, user_id: int) -> Response:
        shop = self.get_shop()
        # Only those who may read the shop's staff list learn whether someone is on it.
        sees_staff = is_platform_admin(request.user) or shop.owner_id == request.user.pk
        member = restore_target(
            user=request.user,
            obj=selectors.shop_member_latest(shop=shop, user_id=user_id) if sees_staff else None,
            name="staff member",
        )
        return Response(self.get_serializer(services.staff_restore(member=member)).data)
