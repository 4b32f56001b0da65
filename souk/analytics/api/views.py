from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.analytics import policy, selectors
from souk.analytics.api import serializers as s
from souk.analytics.api.renderers import DashboardCsvRenderer
from souk.analytics.services import dashboards
from souk.core.db_router import on_primary, replica_reads
from souk.core.permissions import IsPlatformAdmin
from souk.core.renderers import JSONRenderer
from souk.shops.api.views import ShopObjectMixin
from souk.shops.models import Shop


@extend_schema(tags=["analytics"])
class ShopDashboardView(ShopObjectMixin, GenericAPIView):
    serializer_class = s.DashboardSerializer
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, DashboardCsvRenderer]
    queryset = Shop.objects.none()

    @extend_schema(
        operation_id="shops_dashboard_retrieve",
        parameters=[s.PeriodQuerySerializer],
        responses={
            200: OpenApiResponse(
                s.DashboardSerializer,
                description="The dashboard; with `format=csv`, the monthly and product tables.",
            )
        },
        description="The shop's revenue, orders, customers, months, categories and best "
        "products over the period (by default the last 12 months), for its members and "
        "administrators. Revenue counts orders paid (or further along) in the period, net of "
        "discounts; orders cancelled after payment count as `refunded`. Cached briefly; a "
        "payment or cancellation of the shop's orders makes the next read fresh.",
    )
    @replica_reads
    def get(self, request: Request, pk: int) -> Response:
        # Who may read it is decided on the primary: a member removed a moment ago must not
        # read the figures while the replica catches up.
        with on_primary():
            shop = self.get_permission_shop()
            policy.require_shop_dashboard(user=request.user, shop=shop)
        query = s.PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period: selectors.Period = query.validated_data["period"]
        top: int = query.validated_data["top"]

        figures = dashboards.shop_figures(shop=shop, period=period, top=top)
        response = Response(s.DashboardSerializer(figures).data)
        if request.accepted_renderer.format == "csv":
            name = f"shop-{shop.pk}-dashboard-{period.start}-{period.end}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


@extend_schema(tags=["analytics"])
class MarketplaceDashboardView(GenericAPIView):
    serializer_class = s.MarketplaceDashboardSerializer
    permission_classes = [IsAuthenticated, IsPlatformAdmin]
    renderer_classes = [JSONRenderer, DashboardCsvRenderer]

    @extend_schema(
        operation_id="dashboard_retrieve",
        parameters=[s.PeriodQuerySerializer],
        responses={
            200: OpenApiResponse(
                s.MarketplaceDashboardSerializer,
                description="The dashboard; with `format=csv`, the monthly and product tables.",
            )
        },
        description="The whole marketplace over the period (by default the last 12 months), "
        "for administrators: the shop dashboard's figures plus the shops ranked by revenue. "
        "Revenue, orders, units, refunds, months and shops come from a shop x day rollup kept "
        "in the transaction of every payment and cancellation; categories and products from a "
        "product x month rollup kept the same way. Cached for DASHBOARD_CACHE_SECONDS; the "
        "default period is computed ahead, every DASHBOARD_REFRESH_SECONDS.",
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        query = s.PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period: selectors.Period = query.validated_data["period"]
        top: int = query.validated_data["top"]

        figures = dashboards.marketplace_figures(period=period, top=top)
        response = Response(s.MarketplaceDashboardSerializer(figures).data)
        if request.accepted_renderer.format == "csv":
            name = f"marketplace-dashboard-{period.start}-{period.end}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
