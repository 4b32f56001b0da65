"""Product photos: only real JPEG/PNG/WebP images, stored without metadata, with a thumbnail."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from souk.catalog.models import ProductImage
from souk.core.testing import assert_problem

IMAGE_FIELDS = {"id", "url", "thumbnail_url", "alt", "position"}
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (51.0, 30.0, 26.0),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}

pytestmark = pytest.mark.django_db


def images_url(product_id):
    return f"/api/products/{product_id}/images/"


def image_url(product_id, image_id):
    return f"/api/products/{product_id}/images/{image_id}/"


def gps_exif(**extra):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    exif[ExifTags.IFD.GPSInfo] = dict(GPS)
    for tag, value in extra.items():
        exif[getattr(ExifTags.Base, tag)] = value
    return exif


def image_bytes(fmt="JPEG", size=(64, 48), *, noise=False, **save_kwargs):
    """An image made in memory; `noise` gives incompressible content (bigger files)."""
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (180, 90, 30))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_kwargs)
    return buffer.getvalue()


def upload_file(content, fmt="JPEG", name=None):
    return SimpleUploadedFile(
        name or f"photo.{EXTENSIONS[fmt]}", content, content_type=CONTENT_TYPES[fmt]
    )


def post_image(client, product, content, fmt="JPEG", name=None, **data):
    product_id = product if isinstance(product, int) else product.pk
    return client.post(
        images_url(product_id),
        {"image": upload_file(content, fmt, name), **data},
        format="multipart",
    )


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def stored(name):
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    return data, Image.open(io.BytesIO(data))


def make_stored_image(product, position=0):
    """A photo written straight to storage and the database (no service)."""
    photo = ProductImage(product=product, alt="kept", position=position)
    photo.image.save("kept.png", ContentFile(image_bytes("PNG"), name="kept.png"), save=False)
    thumb = ContentFile(image_bytes("PNG"), name="kept-thumb.png")
    photo.thumbnail.save("kept-thumb.png", thumb, save=False)
    photo.save()
    return photo


# --- upload ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("member", ["artisan", "staff"])
def test_member_uploads_an_image(request, client_for, product, fmt, member):
    client = client_for(request.getfixturevalue(member))

    response = post_image(
        client, product, image_bytes(fmt, (120, 80)), fmt, alt="  The mug from above "
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == IMAGE_FIELDS
    photo = ProductImage.objects.get()
    assert body["id"] == photo.pk
    assert body["alt"] == "The mug from above"
    assert body["position"] == 0
    assert body["url"] == f"http://testserver/media/{photo.image.name}"
    assert body["thumbnail_url"] == f"http://testserver/media/{photo.thumbnail.name}"
    assert photo.thumbnail.name != photo.image.name
    assert photo.image.name.startswith(f"products/{product.pk}/")
    assert photo.image.name.endswith(f".{EXTENSIONS[fmt]}")
    assert (photo.product_id, photo.width, photo.height) == (product.pk, 120, 80)
    _, original = stored(photo.image.name)
    _, thumb = stored(photo.thumbnail.name)
    assert (original.format, original.size) == (fmt, (120, 80))
    assert (thumb.format, thumb.size) == (fmt, (120, 80))


def test_uploaded_image_shows_on_the_product(client_for, api_client, artisan, product):
    created = post_image(client_for(artisan), product, image_bytes()).json()

    images = api_client.get(f"/api/products/{product.pk}/").json()["images"]

    assert images == [created]


def test_positions_increase(client_for, artisan, product):
    client = client_for(artisan)

    positions = [
        post_image(client, product, image_bytes(fmt), fmt).json()["position"]
        for fmt in ("JPEG", "PNG", "WEBP")
    ]

    assert positions == [0, 1, 2]
    assert list(ProductImage.objects.values_list("position", flat=True)) == [0, 1, 2]


def test_position_follows_the_highest_even_after_a_delete(client_for, artisan, product):
    make_stored_image(product, position=0)
    last = make_stored_image(product, position=1)
    client = client_for(artisan)
    make_stored_image(product, position=2).delete()

    response = post_image(client, product, image_bytes())

    assert response.json()["position"] == last.position + 1


def test_thumbnail_is_at_most_400_px_on_a_side(client_for, artisan, product):
    response = post_image(client_for(artisan), product, image_bytes("PNG", (1000, 500)), "PNG")

    assert response.status_code == 201, response.content
    photo = ProductImage.objects.get()
    _, original = stored(photo.image.name)
    _, thumb = stored(photo.thumbnail.name)
    assert original.size == (1000, 500)
    assert thumb.size == (400, 200)
    assert (photo.width, photo.height) == (1000, 500)


def test_tall_image_thumbnail(client_for, artisan, product):
    response = post_image(client_for(artisan), product, image_bytes("JPEG", (300, 900)))

    assert response.status_code == 201, response.content
    _, thumb = stored(ProductImage.objects.get().thumbnail.name)
    assert thumb.size == (133, 400)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_with_gps_is_not_stored(client_for, artisan, product, fmt):
    content = image_bytes(fmt, (80, 60), exif=gps_exif())
    sent = Image.open(io.BytesIO(content))
    assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo) == GPS  # the upload really has it

    response = post_image(client_for(artisan), product, content, fmt)

    assert response.status_code == 201, response.content
    photo = ProductImage.objects.get()
    for name in (photo.image.name, photo.thumbnail.name):
        data, kept = stored(name)
        assert "exif" not in kept.info
        assert dict(kept.getexif()) == {}
        assert kept.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert b"PhoneCam" not in data
        assert b"Exif\x00\x00" not in data


def test_camera_orientation_is_applied(client_for, artisan, product):
    content = image_bytes("JPEG", (60, 40), exif=gps_exif(Orientation=6))

    response = post_image(client_for(artisan), product, content)

    assert response.status_code == 201, response.content
    photo = ProductImage.objects.get()
    _, kept = stored(photo.image.name)
    assert kept.size == (40, 60)
    assert (photo.width, photo.height) == (40, 60)
    assert dict(kept.getexif()) == {}


def test_jpeg_comment_is_not_stored(client_for, artisan, product):
    content = image_bytes("JPEG", (60, 40), comment=b"Home: 12 Elm Road")
    assert Image.open(io.BytesIO(content)).info["comment"] == b"Home: 12 Elm Road"

    response = post_image(client_for(artisan), product, content)

    assert response.status_code == 201, response.content
    photo = ProductImage.objects.get()
    for name in (photo.image.name, photo.thumbnail.name):
        data, kept = stored(name)
        assert "comment" not in kept.info
        assert b"12 Elm Road" not in data


# --- rejected uploads ------------------------------------------------------------------------


def truncated_jpeg():
    whole = image_bytes("JPEG", (200, 200), noise=True, quality=95)
    return whole[: len(whole) // 2]


def bilevel_png(size):
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, "PNG")
    return buffer.getvalue()


REJECTED = {
    "text renamed .jpg": (lambda: b"just some text, honestly\n" * 20, "JPEG", 400),
    "truncated jpeg": (truncated_jpeg, "JPEG", 400),
    "gif": (lambda: image_bytes("GIF", (40, 40)), "GIF", 400),
    "gif renamed .jpg": (lambda: image_bytes("GIF", (40, 40)), "JPEG", 400),
    "8001 px wide": (lambda: image_bytes("PNG", (8001, 1)), "PNG", 400),
    "8001 px tall": (lambda: image_bytes("PNG", (1, 8001)), "PNG", 400),
    "empty": (lambda: b"", "JPEG", 400),
    "49 megapixels": (lambda: bilevel_png((7000, 7000)), "PNG", 400),
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_bad_files_are_rejected_and_nothing_is_stored(client_for, artisan, product, case):
    make_content, fmt, status = REJECTED[case]
    existing = make_stored_image(product)
    files_before = media_files()

    response = post_image(client_for(artisan), product, make_content(), fmt)

    problem = assert_problem(response, status, "validation_error")
    assert set(problem["errors"]) == {"image"}
    assert list(ProductImage.objects.values_list("pk", flat=True)) == [existing.pk]
    assert media_files() == files_before


@pytest.mark.parametrize("size", [5 * 1024 * 1024 + 1, 6 * 1024 * 1024])
def test_files_over_5_mb_are_rejected(client_for, artisan, product, size):
    files_before = media_files()

    response = post_image(client_for(artisan), product, os.urandom(size))

    assert response.status_code in (400, 413), response.content
    code = {400: "validation_error", 413: "request_too_large"}[response.status_code]
    assert_problem(response, response.status_code, code)
    assert ProductImage.objects.count() == 0
    assert media_files() == files_before


def test_a_real_image_over_5_mb_is_rejected(client_for, artisan, product):
    content = image_bytes("PNG", (1325, 1325), noise=True)
    assert len(content) > 5 * 1024 * 1024
    files_before = media_files()

    response = post_image(client_for(artisan), product, content, "PNG")

    assert response.status_code in (400, 413), response.content
    assert response.json()["code"] in ("validation_error", "request_too_large")
    assert ProductImage.objects.count() == 0
    assert media_files() == files_before


def test_missing_image_field_is_400(client_for, artisan, product):
    response = client_for(artisan).post(images_url(product.pk), {"alt": "x"}, format="multipart")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"image"}
    assert ProductImage.objects.count() == 0


def test_json_body_is_415(client_for, artisan, product):
    response = client_for(artisan).post(images_url(product.pk), {"image": "x"}, format="json")

    assert_problem(response, 415, "unsupported_media_type")
    assert ProductImage.objects.count() == 0


def test_upload_to_missing_product_is_404(client_for, artisan, product):
    response = post_image(client_for(artisan), product.pk + 1000, image_bytes())

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("outsider", ["customer", "other_artisan"])
def test_non_members_cannot_upload(request, client_for, product, outsider):
    files_before = media_files()

    response = post_image(client_for(request.getfixturevalue(outsider)), product, image_bytes())

    assert_problem(response, 403, "permission_denied")
    assert ProductImage.objects.count() == 0
    assert media_files() == files_before


def test_anonymous_cannot_upload(api_client, product):
    files_before = media_files()

    response = post_image(api_client, product, image_bytes())

    assert_problem(response, 401, "not_authenticated")
    assert ProductImage.objects.count() == 0
    assert media_files() == files_before


# --- delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["artisan", "staff"])
def test_delete_hides_the_image_and_keeps_its_row_and_files(
    request, client_for, product, django_capture_on_commit_callbacks, member
):
    client = client_for(request.getfixturevalue(member))
    created = post_image(client, product, image_bytes()).json()
    photo = ProductImage.objects.get(pk=created["id"])
    names = (photo.image.name, photo.thumbnail.name)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(image_url(product.pk, photo.pk))

    assert response.status_code == 204
    assert not ProductImage.objects.filter(pk=photo.pk).exists()
    assert ProductImage.all_objects.get(pk=photo.pk).deleted_at is not None
    assert all(default_storage.exists(name) for name in names)  # a restore needs them


def test_delete_keeps_the_other_images(
    client_for, artisan, product, django_capture_on_commit_callbacks
):
    client = client_for(artisan)
    first, second = (post_image(client, product, image_bytes()).json() for _ in range(2))
    kept = ProductImage.objects.get(pk=second["id"])

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(image_url(product.pk, first["id"])).status_code == 204

    assert list(ProductImage.objects.values_list("pk", flat=True)) == [kept.pk]
    assert default_storage.exists(kept.image.name)
    assert default_storage.exists(kept.thumbnail.name)


def test_delete_missing_or_foreign_image_is_404(
    client_for, artisan, product, product_factory, shop, category
):
    other = product_factory(shop=shop, category=category, name="Other Jug")
    foreign = make_stored_image(other)
    client = client_for(artisan)

    assert_problem(client.delete(image_url(product.pk, foreign.pk)), 404, "not_found")
    assert_problem(client.delete(image_url(product.pk, foreign.pk + 1000)), 404, "not_found")
    assert ProductImage.objects.filter(pk=foreign.pk).exists()
    assert default_storage.exists(foreign.image.name)


@pytest.mark.parametrize("outsider", ["customer", "other_artisan"])
def test_non_members_cannot_delete_images(
    request, client_for, product, django_capture_on_commit_callbacks, outsider
):
    photo = make_stored_image(product)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(request.getfixturevalue(outsider)).delete(
            image_url(product.pk, photo.pk)
        )

    assert_problem(response, 403, "permission_denied")
    assert ProductImage.objects.filter(pk=photo.pk).exists()
    assert default_storage.exists(photo.image.name)
    assert default_storage.exists(photo.thumbnail.name)


def test_anonymous_cannot_delete_images(api_client, product, django_capture_on_commit_callbacks):
    photo = make_stored_image(product)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(image_url(product.pk, photo.pk))

    assert_problem(response, 401, "not_authenticated")
    assert ProductImage.objects.filter(pk=photo.pk).exists()
    assert default_storage.exists(photo.image.name)


@pytest.mark.parametrize("length", ["abc", "-1", "1e9", "²"])
def test_an_unreadable_content_length_is_not_a_server_error(client_for, artisan, product, length):
    files_before = media_files()

    response = client_for(artisan).post(
        images_url(product.pk),
        {"image": upload_file(image_bytes("JPEG", (40, 40)))},
        format="multipart",
        CONTENT_LENGTH=length,
    )

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert ProductImage.objects.count() == 0
    assert media_files() == files_before
