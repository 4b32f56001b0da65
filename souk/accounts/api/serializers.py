from __future__ import annotations

from typing import Any

from rest_framework import serializers

from souk.accounts.models import Address, OtpCode, User
from souk.core.serializers import LocationField


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "phone",
            "first_name",
            "last_name",
            "role",
            "is_email_verified",
            "is_phone_verified",
            "date_joined",
        ]
        read_only_fields = fields


class UserUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    role = serializers.ChoiceField(
        choices=[User.Role.CUSTOMER.value, User.Role.ARTISAN.value],
        help_text="customer or artisan; administrators are never created here.",
    )
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    phone = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)


class LoginSerializer(serializers.Serializer):
    identifier = serializers.CharField(max_length=254, help_text="Email address or phone number.")
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthResultSerializer(TokenPairSerializer):
    user = UserSerializer()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2048)


class UserEnvelopeSerializer(serializers.Serializer):
    user = UserSerializer()


class OtpRequestSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=254, help_text="Email address or phone number.")
    purpose = serializers.ChoiceField(choices=OtpCode.Purpose.values)


class OtpCodeField(serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            r"^\d{6}$", error_messages={"invalid": "Enter the 6-digit code."}, **kwargs
        )


class OtpVerifySerializer(serializers.Serializer):
    target = serializers.CharField(max_length=254)
    code = OtpCodeField()
    purpose = serializers.ChoiceField(
        choices=[OtpCode.Purpose.LOGIN.value, OtpCode.Purpose.VERIFY.value],
        help_text="reset_password codes are redeemed at /api/accounts/password-reset/.",
    )


class OtpAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PasswordResetSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=254)
    code = OtpCodeField()
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class ChangePasswordSerializer(serializers.Serializer):
    old_password = serializers.CharField(trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class AddressSerializer(serializers.ModelSerializer):
    location = LocationField(required=False, allow_null=True)
    country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2")
    is_default = serializers.BooleanField(required=False)

    class Meta:
        model = Address
        fields = [
            "id",
            *Address.TEXT_FIELDS,
            "location",
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
