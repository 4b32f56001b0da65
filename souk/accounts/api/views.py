from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from souk.accounts import selectors
from souk.accounts.api import openapi  # noqa: F401  (registers the JWT security scheme)
from souk.accounts.api import serializers as s
from souk.accounts.api.auth import request_user
from souk.accounts.api.throttling import (
    LoginIdentifierThrottle,
    LoginThrottle,
    OtpThrottle,
    RegisterThrottle,
)
from souk.accounts.models import Address, OtpCode, User
from souk.accounts.services import addresses as address_services
from souk.accounts.services import otp as otp_services
from souk.accounts.services import tokens as token_services
from souk.accounts.services import users as user_services
from souk.core.exceptions import NotFound

NO_CONTENT = OpenApiResponse(description="Done; no body.")


def _auth_result(user: User) -> dict[str, Any]:
    pair = token_services.tokens_issue(user=user)
    return {"access": pair.access, "refresh": pair.refresh, "user": s.UserSerializer(user).data}


class PublicAPIView(APIView):
    """Endpoints for signed-out callers: no authentication is attempted, so a stale
    token in the request never blocks signing in again."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


@extend_schema(tags=["accounts"])
class RegisterView(PublicAPIView):
    throttle_classes = [RegisterThrottle]

    @extend_schema(request=s.RegisterSerializer, responses={201: s.AuthResultSerializer})
    def post(self, request: Request) -> Response:
        serializer = s.RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_services.user_register(**serializer.validated_data)
        return Response(_auth_result(user), status=status.HTTP_201_CREATED)


@extend_schema(tags=["accounts"])
class LoginView(PublicAPIView):
    throttle_classes = [LoginThrottle, LoginIdentifierThrottle]

    @extend_schema(
        request=s.LoginSerializer,
        responses={200: s.AuthResultSerializer},
        description="Sign in with email or phone number and password.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_services.user_login(request=request, **serializer.validated_data)
        return Response(_auth_result(user))


@extend_schema(tags=["accounts"])
class TokenRefreshView(PublicAPIView):
    @extend_schema(
        request=s.RefreshSerializer,
        responses={200: s.TokenPairSerializer},
        description="Rotate a refresh token: a new pair is returned and the old refresh "
        "token stops working.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = token_services.tokens_refresh(refresh=serializer.validated_data["refresh"])
        return Response({"access": pair.access, "refresh": pair.refresh})


@extend_schema(tags=["accounts"])
class LogoutView(APIView):
    @extend_schema(request=s.RefreshSerializer, responses={204: NO_CONTENT})
    def post(self, request: Request) -> Response:
        serializer = s.RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token_services.token_revoke(
            user=request_user(request), refresh=serializer.validated_data["refresh"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["accounts"])
class OtpRequestView(PublicAPIView):
    throttle_classes = [OtpThrottle]

    @extend_schema(
        request=s.OtpRequestSerializer,
        responses={202: s.OtpAcceptedSerializer},
        description="Send a 6-digit code to an email address or phone number. The answer is "
        "the same whether or not an account exists. One request per target per 60 s and "
        "5 per hour, else 429 with Retry-After.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.OtpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        otp_services.otp_request(**serializer.validated_data)
        return Response(
            {"detail": "If an account matches, a code is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


@extend_schema(tags=["accounts"])
class OtpVerifyView(PublicAPIView):
    throttle_classes = [OtpThrottle]

    @extend_schema(
        request=s.OtpVerifySerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="OtpVerifyResult",
                serializers=[s.AuthResultSerializer, s.UserEnvelopeSerializer],
                resource_type_field_name=None,
            )
        },
        description="purpose=login answers `{access, refresh, user}`; purpose=verify marks "
        "the email or phone as verified and answers `{user}`. Wrong, expired or used "
        "codes: 400 invalid_otp; 5 wrong tries burn a code.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.OtpVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = otp_services.otp_verify(**serializer.validated_data)
        if serializer.validated_data["purpose"] == OtpCode.Purpose.LOGIN:
            return Response(_auth_result(user))
        return Response({"user": s.UserSerializer(user).data})


@extend_schema(tags=["accounts"])
class PasswordResetView(PublicAPIView):
    throttle_classes = [OtpThrottle]

    @extend_schema(
        request=s.PasswordResetSerializer,
        responses={204: NO_CONTENT},
        description="Set a new password with a reset_password code. Every session is signed out.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        otp_services.password_reset(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["accounts"])
class MeView(APIView):
    @extend_schema(responses=s.UserSerializer)
    def get(self, request: Request) -> Response:
        return Response(s.UserSerializer(request_user(request)).data)

    @extend_schema(
        request=s.UserUpdateSerializer,
        responses=s.UserSerializer,
        description="A changed email or phone becomes unverified. `role` is not writable.",
    )
    def patch(self, request: Request) -> Response:
        serializer = s.UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_services.user_update(user=request_user(request), data=serializer.validated_data)
        return Response(s.UserSerializer(user).data)


@extend_schema(tags=["accounts"])
class ChangePasswordView(APIView):
    @extend_schema(
        request=s.ChangePasswordSerializer,
        responses={204: NO_CONTENT},
        description="Every session, this one included, is signed out; sign in again.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.ChangePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_services.user_password_change(user=request_user(request), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["accounts"])
class BecomeArtisanView(APIView):
    @extend_schema(
        request=None,
        responses={200: s.UserEnvelopeSerializer},
        description="A customer becomes an artisan; an artisan calling again changes nothing.",
    )
    def post(self, request: Request) -> Response:
        user = user_services.user_become_artisan(user=request_user(request))
        return Response({"user": s.UserSerializer(user).data})


ADDRESS_BOOK_NOTE = (
    " A user's first address becomes the default, and a user with addresses always has exactly "
    "one: setting `is_default` on another address moves the flag there, and unsetting it on "
    "the default is 400 (make another address the default instead). Deleting the default "
    "makes the most recently added remaining address the default. A deleted address is gone "
    "for good (orders keep their own copy)."
)


@extend_schema(tags=["accounts"])
class AddressListView(ListAPIView):
    serializer_class = s.AddressSerializer
    queryset = Address.objects.none()

    def get_queryset(self) -> Any:
        return selectors.address_list(user=request_user(self.request))

    @extend_schema(description="Your addresses, the default first." + ADDRESS_BOOK_NOTE)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        responses={201: s.AddressSerializer},
        description="Add an address." + ADDRESS_BOOK_NOTE,
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = address_services.address_create(
            user=request_user(request), data=serializer.validated_data
        )
        return Response(self.get_serializer(address).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["accounts"])
class AddressDetailView(GenericAPIView):
    serializer_class = s.AddressSerializer
    queryset = Address.objects.none()
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self) -> Address:
        address = selectors.address_get(
            user=request_user(self.request), address_id=self.kwargs["pk"]
        )
        if address is None:
            raise NotFound("No such address.")
        return address

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(description="Change an address." + ADDRESS_BOOK_NOTE)
    def patch(self, request: Request, pk: int) -> Response:
        address = self.get_object()
        serializer = self.get_serializer(address, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        address = address_services.address_update(address=address, data=serializer.validated_data)
        return Response(self.get_serializer(address).data)

    @extend_schema(
        responses={204: NO_CONTENT},
        description="Delete an address for good. If it was the default, the most recently "
        "added remaining address becomes the default.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        address_services.address_delete(address=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
