"""An upload's decoded size is bounded before any pixel is decoded: a small file cannot unpack
into hundreds of megabytes in a web worker."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from souk.catalog.models import ProductImage

pytestmark = pytest.mark.django_db


def blank_png(width, height, *, color_type=6, channels=4):
    """A PNG of one flat colour (RGBA by default), compressed row by row so the test never
    holds the decoded pixels: 8000 x 5000 RGBA is about 160 KB on disk, 160 MB decoded."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\x7f" * (width * channels)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def jpeg(size, **save_kwargs):
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 90, 30)).save(buffer, "JPEG", **save_kwargs)
    return buffer.getvalue()


def upload(client, product, content, name):
    kind = "image/png" if name.endswith(".png") else "image/jpeg"
    return client.post(
        f"/api/products/{product.pk}/images/",
        {"image": SimpleUploadedFile(name, content, content_type=kind)},
        format="multipart",
    )


def test_a_small_png_that_decodes_to_160_mb_is_refused(client_for, artisan, product):
    content = blank_png(8000, 5000)
    assert len(content) < 200 * 1024

    response = upload(client_for(artisan), product, content, "bomb.png")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {
        "image": ["Images may be at most 8000 pixels on a side and 12.5 megapixels."]
    }
    assert not ProductImage.objects.exists()


def test_a_png_just_over_the_pixel_limit_is_refused(client_for, artisan, product):
    response = upload(client_for(artisan), product, blank_png(5000, 2501), "big.png")

    assert response.status_code == 400, response.content
    assert not ProductImage.objects.exists()


def test_a_png_at_the_pixel_limit_is_stored(client_for, artisan, product):
    response = upload(client_for(artisan), product, blank_png(5000, 2500), "wide.png")

    assert response.status_code == 201, response.content
    photo = ProductImage.objects.get()
    assert (photo.width, photo.height) == (5000, 2500)


def test_a_phone_photo_is_stored_at_full_size(client_for, artisan, product):
    response = upload(client_for(artisan), product, jpeg((4032, 3024)), "phone.jpg")

    assert response.status_code == 201, response.content
    photo = ProductImage.objects.get()
    assert (photo.width, photo.height) == (4032, 3024)


def test_a_larger_jpeg_is_decoded_scaled_down_to_fit(client_for, artisan, product):
    response = upload(client_for(artisan), product, jpeg((6000, 4000)), "camera.jpg")

    assert response.status_code == 201, response.content
    photo = ProductImage.objects.get()
    assert (photo.width, photo.height) == (3000, 2000)


def test_a_progressive_jpeg_over_the_limit_is_refused(client_for, artisan, product):
    content = jpeg((6000, 4000), progressive=True)

    response = upload(client_for(artisan), product, content, "progressive.jpg")

    assert response.status_code == 400, response.content
    assert not ProductImage.objects.exists()


def test_a_jpeg_whose_half_rounds_up_past_the_limit_is_stored_at_a_quarter(
    client_for, artisan, product, settings
):
    """libjpeg rounds a scaled size up: 201x199 at 1/2 is 101x100, over a limit of 100x100;
    the next scale fits, so the photo is kept, not refused."""
    settings.IMAGE_MAX_PIXELS = 100 * 100

    response = upload(client_for(artisan), product, jpeg((201, 199)), "odd.jpg")

    assert response.status_code == 201, response.content
    with ProductImage.objects.get().image.open() as stored:
        assert Image.open(stored).size == (51, 50)
