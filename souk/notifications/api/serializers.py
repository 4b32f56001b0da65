from __future__ import annotations

from typing import Any

from rest_framework import serializers

from souk.notifications.models import ORDER_KINDS, Channel, Kind, Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "data", "read_at", "created_at"]
        read_only_fields = fields


class NotificationQuerySerializer(serializers.Serializer[Any]):
    unread = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: unread only"
    )
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    all = serializers.BooleanField(
        required=False, default=False, help_text="Administrators: everyone's notifications."
    )


class UnreadCountSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()


class ChannelsSerializer(serializers.Serializer[Any]):
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    sms = serializers.BooleanField(required=False)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - {c.value for c in Channel})
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Not a channel: in_app, email or sms."] for name in unknown}
                )
        return super().to_internal_value(data)


class PreferencesSerializer(serializers.Serializer[Any]):
    """`{kind: {in_app, email, sms}}`; a PUT may name some kinds and some channels, the rest
    keep their setting. In-app cannot be switched off for order and payment kinds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = ChannelsSerializer(required=False)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - {k.value for k in Kind})
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Not a notification kind."] for name in unknown}
                )
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {
            kind: {"in_app": ["In-app notifications of orders and payments cannot be turned off."]}
            for kind, channels in attrs.items()
            if kind in ORDER_KINDS and channels.get("in_app") is False
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
