from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.orders import policy, selectors
from souk.orders.api import serializers as s
from souk.orders.api.views.orders import OrderObjectMixin
from souk.orders.models import Order
from souk.orders.services.delivery import delivery_update


@extend_schema(tags=["orders"])
class OrderDeliveryView(OrderObjectMixin, GenericAPIView):
    serializer_class = s.DeliverySerializer
    permission_classes = [IsAuthenticated]
    queryset = Order.objects.none()

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(selectors.delivery_of(self.get_order(request))).data)

    @extend_schema(
        request=s.DeliveryUpdateSerializer,
        description="The buyer sets `method`, `window_start`, `window_end` and `notes` before "
        "shipping; shop members set `carrier`, `tracking_number` and `notes`. Fields sent "
        "unchanged are ignored; changing another role's field is 403.",
    )
    def put(self, request: Request, pk: int) -> Response:
        user, order = request_user(request), self.get_order(request)
        policy.require_delivery_edit(user=user, order=order)
        data = s.DeliveryUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = delivery_update(
            order_id=pk,
            data=dict(data.validated_data),
            as_buyer=policy.is_buyer(user, order),
            as_member=policy.is_order_member(user, order),
        )
        return Response(self.get_serializer(schedule).data)
