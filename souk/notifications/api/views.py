from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.core.exceptions import PermissionDeniedError
from souk.core.pagination import PageNumberPagination
from souk.core.permissions import is_platform_admin
from souk.notifications import selectors
from souk.notifications.api import serializers as s
from souk.notifications.models import Notification
from souk.notifications.services import inbox, preferences

NO_CONTENT = OpenApiResponse(description="Done; no body.")


@extend_schema(tags=["notifications"])
class NotificationListView(GenericAPIView):
    serializer_class = s.NotificationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination
    queryset = Notification.objects.none()

    @extend_schema(
        operation_id="notifications_list",
        parameters=[s.NotificationQuerySerializer],
        responses=s.NotificationSerializer(many=True),
        description="The caller's in-app inbox, newest first; `unread=true` for unread only, "
        "`kind` for one kind. Administrators add `all=1` for everyone's.",
    )
    def get(self, request: Request) -> Response:
        query = s.NotificationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        everyone = query.validated_data["all"]
        if everyone and not is_platform_admin(request.user):
            raise PermissionDeniedError("Only administrators list everyone's notifications.")
        rows = selectors.notifications(
            user=request_user(request),
            everyone=everyone,
            unread=query.validated_data["unread"],
            kind=query.validated_data.get("kind"),
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["notifications"])
class UnreadCountView(GenericAPIView):
    serializer_class = s.UnreadCountSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_unread_count",
        description="How many of the caller's notifications are unread (cached; cheap to poll).",
    )
    def get(self, request: Request) -> Response:
        return Response({"unread": inbox.unread_count(user=request_user(request))})


@extend_schema(tags=["notifications"])
class NotificationReadView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = None

    @extend_schema(
        operation_id="notifications_read",
        request=None,
        responses={204: NO_CONTENT},
        description="Mark one of the caller's notifications read; someone else's is 404.",
    )
    def post(self, request: Request, pk: int) -> Response:
        inbox.notification_read(user=request_user(request), notification_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["notifications"])
class NotificationReadAllView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = None

    @extend_schema(
        operation_id="notifications_read_all",
        request=None,
        responses={204: NO_CONTENT},
        description="Mark every unread notification of the caller read.",
    )
    def post(self, request: Request) -> Response:
        inbox.notifications_read_all(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["notifications"])
class NotificationDetailView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = None

    @extend_schema(
        operation_id="notifications_delete",
        responses={204: NO_CONTENT},
        description="Delete one of the caller's notifications; someone else's is 404.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        inbox.notification_delete(user=request_user(request), notification_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["notifications"])
class PreferencesView(GenericAPIView):
    serializer_class = s.PreferencesSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_preferences_retrieve",
        description="Every kind with its channels: `{kind: {in_app, email, sms}}`.",
    )
    def get(self, request: Request) -> Response:
        return Response(preferences.preferences_get(user=request_user(request)))

    @extend_schema(
        operation_id="notifications_preferences_update",
        description="Change some kinds' channels (the others keep theirs); the whole set is "
        "returned. In-app cannot be turned off for order and payment kinds (400).",
    )
    def put(self, request: Request) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(
            preferences.preferences_set(user=request_user(request), changes=body.validated_data)
        )
