from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.core.exceptions import NotFound
from souk.core.idempotency import idempotent
from souk.core.throttling import ClientIPThrottle
from souk.payments import selectors
from souk.payments.api import serializers as s
from souk.payments.gateways import gateway_enabled
from souk.payments.gateways.sandbox import sandbox_page_url
from souk.payments.models import Payment, PaymentTransaction, SandboxCharge
from souk.payments.services.capture import payment_verify
from souk.payments.services.start import payment_start
from souk.payments.services.webhooks import paystack_webhook

IDEMPOTENCY_NOTE = (
    " Send an `Idempotency-Key` header (1-255 printable characters) to make retries safe: "
    "within 24 hours the same key and body replay the first response (and start nothing "
    "new), another body is 422 `idempotency_conflict`, and a duplicate sent while the first "
    "runs is 409 `idempotency_in_progress`."
)


class VerifyThrottle(ClientIPThrottle):
    scope = "payment_verify"


@extend_schema(tags=["payments"])
class PaymentStartView(GenericAPIView):
    serializer_class = s.PaymentStartSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.PaymentStartSerializer,
        responses={201: s.PaymentStartedSerializer},
        description="Pay a checkout (all its orders) or one order of yours through a gateway; "
        "send the customer to `redirect_url`. Orders that are not awaiting payment: 409 "
        "`invalid_transition`; someone else's checkout or order: 404; the gateway refusing: "
        "402 `payment_failed`; the gateway unreachable: 503." + IDEMPOTENCY_NOTE,
    )
    @idempotent  # no resume: a start that met a gateway outage may be retried with its key
    def post(self, request: Request) -> Response:
        data = s.PaymentStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        payment = payment_start(
            user=request_user(request),
            gateway=values["gateway"],
            checkout_id=values.get("checkout"),
            order_id=values.get("order"),
        )
        body = {"payment": payment, "redirect_url": payment.redirect_url or None}
        return Response(s.PaymentStartedSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["payments"])
class PaymentVerifyView(GenericAPIView):
    serializer_class = s.PaymentVerifiedSerializer
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        parameters=[s.VerifyQuerySerializer],
        description="Where a gateway sends the customer back. Asks the gateway server-side; "
        "only its confirmation with our amount and currency pays anything. Idempotent: a "
        "paid payment is returned as it is. `?gateway=zarinpal&Authority=..&Status=OK|NOK`, "
        "`?gateway=paystack&reference=..`, `?gateway=sandbox&reference=..`.",
    )
    def get(self, request: Request) -> Response:
        query = s.VerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        payment = selectors.payment_by_callback(
            gateway=params["gateway"],
            reference=params.get("reference") or params.get("trxref") or "",
            authority=params.get("Authority", ""),
        )
        if payment is None:
            raise NotFound("No such payment.")
        callback = {key: str(value) for key, value in params.items()}
        payment = payment_verify(
            payment_id=payment.pk, params=callback, kind=PaymentTransaction.Kind.CALLBACK
        )
        return Response(s.PaymentVerifiedSerializer({"payment": payment}).data)


@extend_schema(tags=["payments"])
class PaystackWebhookView(GenericAPIView):
    serializer_class = s.WebhookAckSerializer
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={200: s.WebhookAckSerializer},
        description="Paystack events. `x-paystack-signature` must be the HMAC-SHA512 of the "
        "raw body keyed with the secret key: otherwise 401 and nothing is written. The same "
        "delivery twice changes nothing.",
    )
    def post(self, request: Request) -> Response:
        outcome = paystack_webhook(
            body=request.body, signature=request.headers.get("x-paystack-signature")
        )
        return Response({"status": outcome})


@extend_schema(tags=["payments"])
class PaymentListView(GenericAPIView):
    serializer_class = s.PaymentSerializer
    permission_classes = [IsAuthenticated]
    queryset = Payment.objects.none()

    @extend_schema(
        operation_id="payments_list",
        responses=s.PaymentSerializer(many=True),
        description="Your payments with their transaction logs; admins see all.",
    )
    def get(self, request: Request) -> Response:
        payments = selectors.payments_visible(user=request_user(request))
        page = self.paginate_queryset(payments)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["payments"])
class PaymentDetailView(GenericAPIView):
    serializer_class = s.PaymentSerializer
    permission_classes = [IsAuthenticated]
    queryset = Payment.objects.none()

    def get(self, request: Request, pk: int) -> Response:
        payment = selectors.payment_get(user=request_user(request), payment_id=pk)
        if payment is None:
            raise NotFound("No such payment.")
        return Response(self.get_serializer(payment).data)


def _page(charge: SandboxCharge) -> dict[str, Any]:
    return {"charge": charge, "action": sandbox_page_url(charge.reference)}


@method_decorator(csrf_exempt, name="dispatch")
class SandboxPageView(View):
    """The offline sandbox gateway's payment page (HTML): pay or fail, then back to verify."""

    def _charge(self, reference: str) -> SandboxCharge:
        if not gateway_enabled("sandbox"):  # off (as in production): no page at all
            raise Http404("No such sandbox charge.")
        charge = selectors.sandbox_charge_get(reference=reference)
        if charge is None:
            raise Http404("No such sandbox charge.")
        return charge

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        charge = self._charge(reference)
        return render(request, "payments/sandbox.html", _page(charge))

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        charge = self._charge(reference)
        choice = request.POST.get("result")
        if choice not in ("pay", "fail"):
            return render(
                request,
                "payments/sandbox.html",
                {**_page(charge), "error": "Choose pay or fail."},
                status=400,
            )
        with transaction.atomic():
            SandboxCharge.objects.filter(pk=charge.pk, status=SandboxCharge.Status.OPEN).update(
                status=SandboxCharge.Status.PAID if choice == "pay" else SandboxCharge.Status.FAILED
            )
        separator = "&" if "?" in charge.callback_url else "?"
        response = HttpResponseRedirect(f"{charge.callback_url}{separator}reference={reference}")
        response.status_code = 303
        return response
