from __future__ import annotations

from typing import Any

from rest_framework import serializers

from souk.core.serializers import MoneyField
from souk.payments.gateways import gateway_unavailable_reason, gateways_offered
from souk.payments.models import Gateway, Payment, PaymentTransaction, Refund

MAX_ID = 2**31 - 1


class OfferedGatewayField(serializers.ChoiceField):
    """A gateway customers may start a payment with now: its choices (and the schema's enum)
    are the enabled gateways whose credentials are set, read when the serializer is made."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["choices"] = [(name, Gateway(name).label) for name in gateways_offered()]
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data in Gateway.values:
            reason = gateway_unavailable_reason(data)
            if reason is not None:
                raise serializers.ValidationError(reason, code="unavailable")
        return super().to_internal_value(data)


class PaymentStartSerializer(serializers.Serializer):
    checkout = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    order = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    gateway = OfferedGatewayField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("checkout" in attrs) == ("order" in attrs):
            raise serializers.ValidationError(
                {"checkout": ["Give either a checkout or an order, not both."]}
            )
        return attrs


class PaymentSummarySerializer(serializers.ModelSerializer):
    amount = MoneyField()

    class Meta:
        model = Payment
        fields = ["id", "status", "amount", "currency", "gateway", "reference"]
        read_only_fields = fields


class PaymentStartedSerializer(serializers.Serializer):
    payment = PaymentSummarySerializer()
    redirect_url = serializers.CharField(
        allow_null=True,
        help_text="Send the customer here to pay; null when there was nothing to collect.",
    )


class TransactionSerializer(serializers.ModelSerializer):
    amount = MoneyField(allow_null=True)

    class Meta:
        model = PaymentTransaction
        fields = ["kind", "status", "amount", "detail", "created_at"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    amount = MoneyField()

    class Meta:
        model = Refund
        fields = [
            "id",
            "order",
            "amount",
            "currency",
            "status",
            "reason",
            "created_at",
            "settled_at",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    transactions = TransactionSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "status",
            "amount",
            "currency",
            "gateway",
            "reference",
            "checkout",
            "order",
            "failure_reason",
            "created_at",
            "paid_at",
            "transactions",
            "refunds",
        ]
        read_only_fields = fields


class PaymentVerifiedSerializer(serializers.Serializer):
    payment = PaymentSummarySerializer()


class VerifyQuerySerializer(serializers.Serializer):
    gateway = serializers.ChoiceField(choices=Gateway.choices)
    reference = serializers.CharField(required=False, max_length=64)
    trxref = serializers.CharField(required=False, max_length=64)
    Authority = serializers.CharField(required=False, max_length=128)  # noqa: N815 - Zarinpal's name
    Status = serializers.CharField(required=False, max_length=16)  # noqa: N815 - Zarinpal's name

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["gateway"] == "zarinpal":
            if not attrs.get("Authority") or not attrs.get("Status"):
                raise serializers.ValidationError(
                    {"Authority": ["Zarinpal returns with Authority and Status."]}
                )
        elif not (attrs.get("reference") or attrs.get("trxref")):
            raise serializers.ValidationError({"reference": ["This field is required."]})
        return attrs


class WebhookAckSerializer(serializers.Serializer):
    status = serializers.CharField()
