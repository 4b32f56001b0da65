from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from souk.accounts.api.auth import request_user
from souk.catalog.api.serializers.products import ImageSerializer, ImageUploadSerializer
from souk.catalog.api.views.common import (
    NO_CONTENT,
    RESTORE_DESCRIPTION,
    ProductObjectMixin,
    RestoreView,
)
from souk.catalog.models import ProductImage
from souk.catalog.selectors.products import image_get_any
from souk.catalog.services import images as image_services
from souk.core.exceptions import DomainError, NotFound
from souk.core.permissions import IsShopMemberOrAdmin
from souk.shops.policy import restore_target


class RequestTooLarge(DomainError):
    status_code = 413
    code = "request_too_large"
    title = "Request too large"


@extend_schema(tags=["catalog"])
class ImageUploadView(ProductObjectMixin, GenericAPIView):
    serializer_class = ImageSerializer
    queryset = ProductImage.objects.none()
    parser_classes = [MultiPartParser]
    permission_classes = [IsAuthenticated, IsShopMemberOrAdmin]

    @extend_schema(
        request={"multipart/form-data": ImageUploadSerializer},
        responses={201: ImageSerializer},
        description="A really decodable JPEG, PNG or WebP of at most 5 MB, 8000 px a side and "
        "12.5 megapixels (a larger baseline JPEG is stored scaled down); stored without its "
        "metadata, with a thumbnail.",
    )
    def post(self, request: Request, pk: int) -> Response:
        raw_length = str(request.META.get("CONTENT_LENGTH") or "0")
        if not (raw_length.isascii() and raw_length.isdigit()):
            raise ParseError("The Content-Length header is not a number of bytes.")
        if int(raw_length) > settings.IMAGE_MAX_BYTES + 64 * 1024:
            raise RequestTooLarge("Images may be at most 5 MB.")
        product = self.get_product()
        data = ImageUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = image_services.image_add(
            actor=request_user(request),
            product=product,
            upload=data.validated_data["image"],
            alt=data.validated_data["alt"],
        )
        return Response(self.get_serializer(image).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["catalog"])
class ImageDetailView(ProductObjectMixin, GenericAPIView):
    queryset = ProductImage.objects.none()
    permission_classes = [IsAuthenticated, IsShopMemberOrAdmin]

    @extend_schema(responses={204: NO_CONTENT})
    def delete(self, request: Request, pk: int, iid: int) -> Response:
        image = ProductImage.objects.filter(product=self.get_product(), pk=iid).first()
        if image is None:
            raise NotFound("No such image.")
        image_services.image_delete(actor=request_user(request), image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["catalog"])
class ImageRestoreView(ProductObjectMixin, RestoreView):
    serializer_class = ImageSerializer
    queryset = ProductImage.objects.none()

    @extend_schema(request=None, responses={200: ImageSerializer}, description=RESTORE_DESCRIPTION)
    def post(self, request: Request, pk: int, iid: int) -> Response:
        image = restore_target(
            user=request.user,
            obj=image_get_any(product=self.get_product(), image_id=iid),
            name="image",
        )
        return Response(self.get_serializer(image_services.image_restore(image=image)).data)
