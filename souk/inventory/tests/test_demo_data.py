"""`manage.py demo_data`: a catalog a newcomer can browse, with reviews behind its ratings and a
generated picture (and thumbnail) for every product; run again, it loads nothing but still
prints the demo logins."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Avg, Count
from PIL import Image

from souk.accounts.demo import DEMO_USERS, demo_users_create
from souk.catalog.models import Product, ProductImage, Review
from souk.shops.models import Shop

pytestmark = pytest.mark.django_db


def demo_logins_printed(output: str) -> list[str]:
    return [
        line.split()[1]
        for line in output.splitlines()
        if line.startswith("  ") and "@souk.test" in line
    ]


def test_demo_data_has_reviews_ratings_and_a_picture_for_every_product(api_client):
    out = StringIO()

    call_command("demo_data", stdout=out, stderr=StringIO())

    products = Product.objects.count()
    assert products == 1000
    stats = {
        row["product"]: row
        for row in Review.objects.values("product").annotate(n=Count("id"), avg=Avg("rating"))
    }
    assert 500 <= len(stats) <= 700
    assert set(Review.objects.values_list("rating", flat=True)) == {1, 2, 3, 4, 5}
    for product in Product.objects.only("pk", "rating", "review_count"):
        row = stats.get(product.pk, {"n": 0, "avg": 0})
        expected = Decimal(str(row["avg"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert (product.review_count, product.rating) == (row["n"], expected), product.pk
    for shop in Shop.objects.filter(review_count__gt=0):
        assert shop.review_count == Review.objects.filter(product__shop=shop).count()
    assert Shop.objects.filter(review_count__gt=0).count() == 20

    assert ProductImage.objects.count() == products
    assert Product.objects.filter(images__isnull=True).count() == 0
    picture = ProductImage.objects.select_related("product").first()
    with default_storage.open(picture.image.name) as file, Image.open(file) as image:
        assert (image.format, image.size) == ("JPEG", (400, 400))
    with default_storage.open(picture.thumbnail.name) as file, Image.open(file) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (200, 200))
    assert (picture.width, picture.height, picture.alt) == (400, 400, picture.product.name)

    best = api_client.get("/api/products/", {"ordering": "-rating", "page_size": 5}).json()
    ratings = [Decimal(product["rating"]) for product in best["results"]]
    assert ratings == sorted(ratings, reverse=True)
    assert ratings[0] > Decimal("4")
    detail = api_client.get(f"/api/products/{best['results'][0]['id']}/").json()
    assert detail["review_count"] > 0
    assert detail["images"][0]["thumbnail_url"].endswith("-thumb.jpg")
    assert demo_logins_printed(out.getvalue()) == [row[0] for row in DEMO_USERS]


def test_a_second_run_loads_nothing_and_prints_the_demo_logins_again():
    demo_users_create()
    out = StringIO()

    call_command("demo_data", "--if-empty", stdout=out, stderr=StringIO())

    assert "Database not empty; demo data not loaded." in out.getvalue()
    assert demo_logins_printed(out.getvalue()) == [row[0] for row in DEMO_USERS]
    for email, password, *_ in DEMO_USERS:
        assert f"{email:<22} {password}" in out.getvalue()
    assert Product.objects.count() == 0
    assert Review.objects.count() == 0


def test_demo_ratings_leave_out_deleted_reviews(shop, product, user_factory):
    """Loading demo data recomputes every shop's rating: a deleted review stays forgotten."""
    from souk.catalog.seed.demo import _ratings_refresh
    from souk.shops.models import Shop

    kept, deleted = (
        Review.objects.create(product=product, customer=user_factory(), rating=rating)
        for rating in (5, 1)
    )
    deleted.soft_delete()

    _ratings_refresh([product.pk])

    product.refresh_from_db()
    assert (product.rating, product.review_count) == (Decimal("5.00"), 1)
    assert Shop.objects.values_list("rating", "review_count").get(pk=shop.pk) == (
        Decimal("5.00"),
        1,
    )
    assert kept.deleted_at is None
