"""Product photos: only really decodable JPEG, PNG or WebP files are kept, re-encoded without
their metadata (camera GPS included), with a thumbnail."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from PIL import Image, ImageOps, UnidentifiedImageError

from souk.accounts.models import User
from souk.catalog.models import Product, ProductImage
from souk.catalog.services.products import require_member

FORMATS = {"JPEG": ("jpg", "JPEG"), "PNG": ("png", "PNG"), "WEBP": ("webp", "WEBP")}


@dataclass(frozen=True)
class Encoded:
    image: ContentFile
    thumbnail: ContentFile


def _invalid(message: str) -> ValidationError:
    return ValidationError({"image": [message]})


def _open(upload: UploadedFile) -> Image.Image:
    if upload.size is None or upload.size > settings.IMAGE_MAX_BYTES:
        raise _invalid(f"Images may be at most {settings.IMAGE_MAX_BYTES // (1024 * 1024)} MB.")
    try:
        probe = Image.open(upload)
        if probe.format not in FORMATS:
            raise _invalid("Upload a JPEG, PNG or WebP image.")
        width, height = probe.size
        if (
            max(width, height) > settings.IMAGE_MAX_SIDE
            or width * height > settings.IMAGE_MAX_PIXELS
        ):
            raise _invalid(
                f"Images may be at most {settings.IMAGE_MAX_SIDE} pixels on a side "
                f"and {settings.IMAGE_MAX_PIXELS // 1_000_000} megapixels."
            )
        probe.verify()  # structure check; the file must be reopened afterwards
        upload.seek(0)
        image = Image.open(upload)
        image.load()  # decode every pixel: truncated or corrupt data fails here
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise _invalid("The file is not a readable image.") from exc
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=88, optimize=True)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=85)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def image_prepare(upload: UploadedFile) -> tuple[Encoded, str]:
    image = _open(upload)
    fmt = image.format or "JPEG"
    extension, pil_format = FORMATS[fmt]
    upright = ImageOps.exif_transpose(image)  # apply the camera orientation, drop EXIF
    upright.info.clear()  # comments, XMP, ICC text: nothing of the original file's metadata
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    thumb = upright.copy()
    thumb.thumbnail((settings.IMAGE_THUMBNAIL_SIDE, settings.IMAGE_THUMBNAIL_SIDE))
    stem = secrets.token_hex(8)
    return (
        Encoded(
            image=ContentFile(_encode(upright, pil_format), name=f"{stem}.{extension}"),
            thumbnail=ContentFile(_encode(thumb, pil_format), name=f"{stem}-thumb.{extension}"),
        ),
        fmt,
    )


def image_add(
    *, actor: User, product: Product, upload: UploadedFile, alt: str = ""
) -> ProductImage:
    require_member(user=actor, shop=product.shop)
    encoded, _ = image_prepare(upload)
    with transaction.atomic():
        Product.objects.select_for_update(of=("self",)).get(pk=product.pk)
        last = ProductImage.objects.filter(product=product).aggregate(p=Max("position"))["p"]
        image = ProductImage(
            product=product, alt=alt.strip(), position=0 if last is None else last + 1
        )
        image.image.save(encoded.image.name or "image", encoded.image, save=False)
        image.thumbnail.save(encoded.thumbnail.name or "thumb", encoded.thumbnail, save=False)
        try:
            image.save()
        except Exception:
            _delete_files(image.image.name or "", image.thumbnail.name or "")
            raise
    return image


def _delete_files(*names: str) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)


def image_delete(*, actor: User, image: ProductImage) -> None:
    require_member(user=actor, shop=image.product.shop)
    names = (image.image.name or "", image.thumbnail.name or "")
    with transaction.atomic():
        image.delete()
        transaction.on_commit(lambda: _delete_files(*names), robust=True)
