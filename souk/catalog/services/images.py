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
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from souk.accounts.models import User
from souk.catalog.locks import product_lock
from souk.catalog.models import Product, ProductImage
from souk.catalog.policy import require_catalog_editor

FORMATS = {"JPEG": ("jpg", "JPEG"), "PNG": ("png", "PNG"), "WEBP": ("webp", "WEBP")}


@dataclass(frozen=True)
class Encoded:
    image: ContentFile
    thumbnail: ContentFile


def _invalid(message: str) -> ValidationError:
    return ValidationError({"image": [message]})


def _too_large() -> ValidationError:
    return _invalid(
        f"Images may be at most {settings.IMAGE_MAX_SIDE} pixels on a side "
        f"and {settings.IMAGE_MAX_PIXELS / 1_000_000:g} megapixels."
    )


def _fit_to_budget(image: ImageFile.ImageFile) -> bool:
    """Whether `image` (opened, not yet loaded) decodes within IMAGE_MAX_PIXELS. A larger
    baseline JPEG is decoded at 1/2, 1/4 or 1/8 scale instead (libjpeg scales while decoding,
    so the full-size pixels never exist); other formats cannot be decoded smaller."""
    width, height = image.size
    limit = settings.IMAGE_MAX_PIXELS
    if width * height <= limit:
        return True
    if image.format != "JPEG" or image.info.get("progressive"):
        return False
    for scale in (2, 4, 8):
        # libjpeg rounds a scaled side up: check the size it will really decode to
        if -(-width // scale) * -(-height // scale) <= limit:
            image.draft(None, (width // scale, height // scale))  # picks 1/scale
            return image.size[0] * image.size[1] <= limit
    return False


def _open(upload: UploadedFile) -> Image.Image:
    """Decode the upload with its memory bounded: the size in the file's header is checked
    before any pixel is decoded, so a small file cannot unpack into gigabytes (Pillow keeps
    most modes at 4 bytes a pixel: IMAGE_MAX_PIXELS of 12.5 million is 50 MB decoded)."""
    if upload.size is None or upload.size > settings.IMAGE_MAX_BYTES:
        raise _invalid(f"Images may be at most {settings.IMAGE_MAX_BYTES // (1024 * 1024)} MB.")
    try:
        probe = Image.open(upload)
        if probe.format not in FORMATS:
            raise _invalid("Upload a JPEG, PNG or WebP image.")
        if max(probe.size) > settings.IMAGE_MAX_SIDE:
            raise _too_large()
        probe.verify()  # structure check; the file must be reopened afterwards
        upload.seek(0)
        image = Image.open(upload)
        if not _fit_to_budget(image):
            raise _too_large()
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
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(buffer, "JPEG", quality=88, optimize=True)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=85)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _thumbnail(image: Image.Image, side: int) -> Image.Image:
    """At most `side` pixels on a side, resized straight from `image` (no full-size copy)."""
    width, height = image.size
    if max(width, height) <= side:
        return image.copy()
    ratio = side / max(width, height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def image_prepare(upload: UploadedFile) -> tuple[Encoded, str]:
    image = _open(upload)
    fmt = image.format or "JPEG"
    extension, pil_format = FORMATS[fmt]
    ImageOps.exif_transpose(image, in_place=True)  # apply the camera orientation, drop EXIF
    image.info.clear()  # comments, XMP, ICC text: nothing of the original file's metadata
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    thumb = _thumbnail(image, settings.IMAGE_THUMBNAIL_SIDE)
    stem = secrets.token_hex(8)
    return (
        Encoded(
            image=ContentFile(_encode(image, pil_format), name=f"{stem}.{extension}"),
            thumbnail=ContentFile(_encode(thumb, pil_format), name=f"{stem}-thumb.{extension}"),
        ),
        fmt,
    )


def image_add(
    *, actor: User, product: Product, upload: UploadedFile, alt: str = ""
) -> ProductImage:
    require_catalog_editor(user=actor, shop=product.shop)
    encoded, _ = image_prepare(upload)
    with transaction.atomic():
        product_lock(product_id=product.pk)
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
    """Soft delete: the photo leaves the product; its files stay, so it can be restored."""
    require_catalog_editor(user=actor, shop=image.product.shop)
    with transaction.atomic():
        image.soft_delete()


def image_restore(*, image: ProductImage) -> ProductImage:
    """Undo a photo's soft delete (administrators)."""
    with transaction.atomic():
        image.restore()
    return image
