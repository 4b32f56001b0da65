"""What the demo data adds to a seeded catalog so that a fresh `make run` shows ratings and
pictures: customers' reviews (with the product and shop ratings they make) and a generated
picture for every product.

The pictures are drawn with Pillow at load time (no downloads): a coloured pattern for the
product's department with the product's initial on it, stored with a thumbnail like an upload.
"""

from __future__ import annotations

import io
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from souk.accounts.models import User
from souk.catalog.models import SCORE_PRIOR_MEAN, SCORE_PRIOR_WEIGHT, Product, ProductImage, Review
from souk.catalog.seed import vocabulary as v
from souk.catalog.services.vocabulary import names_rebuild

Progress = Callable[[int, int], None]

IMAGE_SIDE = 400
REVIEWERS = 40
REVIEWED_SHARE = 0.6
MAX_REVIEWS = 8

TITLES = {
    1: ["Not as described", "Disappointed", "Arrived damaged"],
    2: ["Not quite right", "Smaller than expected", "Just okay"],
    3: ["Decent", "Nice, with a few flaws", "Fair for the price"],
    4: ["Lovely piece", "Very happy", "Well made"],
    5: ["Beautiful work", "Exceeded expectations", "Perfect gift", "Simply stunning"],
}
BODIES = {
    1: "The finish was rough and it did not look like the photos.",
    2: "The workmanship is fine but it was not what I hoped for.",
    3: "Good enough overall; the colour is a little different in person.",
    4: "Carefully packed and clearly made by hand. I would buy from this shop again.",
    5: "You can see the care in every detail. Fast delivery and a kind note from the maker.",
}
# RGB for the seed vocabulary's colour words; other products take their department's palette.
COLOUR_RGB = {
    "indigo": (63, 72, 148),
    "terracotta": (196, 98, 67),
    "olive": (120, 124, 60),
    "amber": (222, 150, 40),
    "ivory": (236, 228, 206),
    "charcoal": (64, 66, 70),
    "saffron": (236, 176, 52),
    "teal": (40, 128, 128),
    "rose": (214, 130, 146),
    "sand": (214, 190, 150),
    "forest green": (46, 96, 60),
    "burgundy": (122, 34, 52),
    "ochre": (200, 140, 50),
    "slate": (94, 110, 124),
    "natural": (200, 180, 150),
}
PALETTE = list(COLOUR_RGB.values())
PATTERNS = ("stripes", "dots", "checks", "diamonds", "rings", "zigzag")


@dataclass(frozen=True)
class DemoExtras:
    reviews: int
    reviewed_products: int
    images: int


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (min(255, max(0, round(channel * factor))) for channel in rgb)
    return r, g, b


def _ink(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Dark ink on light colours, light ink on dark ones."""
    luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return (40, 34, 30) if luminance > 150 else (250, 246, 238)


def _background(pattern: str, rgb: tuple[int, int, int]) -> Image.Image:
    side = IMAGE_SIDE
    image = Image.new("RGB", (side, side), rgb)
    draw = ImageDraw.Draw(image)
    accent = _shade(rgb, 0.8 if sum(rgb) > 300 else 1.3)
    step = side // 8
    if pattern == "stripes":
        for x in range(-side, side, step):
            draw.polygon(
                [(x, 0), (x + step // 2, 0), (x + side + step // 2, side), (x + side, side)],
                fill=accent,
            )
    elif pattern == "dots":
        for y in range(step // 2, side, step):
            for x in range(step // 2, side, step):
                draw.ellipse([x - 10, y - 10, x + 10, y + 10], fill=accent)
    elif pattern == "checks":
        for y in range(0, side, step):
            for x in range((y // step) % 2 * step, side, 2 * step):
                draw.rectangle([x, y, x + step - 1, y + step - 1], fill=accent)
    elif pattern == "diamonds":
        for y in range(0, side + step, step):
            for x in range(0, side + step, step):
                half = step // 2
                draw.polygon(
                    [(x, y - half + 6), (x + half - 6, y), (x, y + half - 6), (x - half + 6, y)],
                    fill=accent,
                )
    elif pattern == "rings":
        centre = side // 2
        for radius in range(side, 0, -step // 2):
            if (radius // (step // 2)) % 2:
                draw.ellipse(
                    [centre - radius, centre - radius, centre + radius, centre + radius],
                    fill=accent,
                )
            else:
                draw.ellipse(
                    [centre - radius, centre - radius, centre + radius, centre + radius], fill=rgb
                )
    else:  # zigzag
        for y in range(0, side + step, step):
            points = [
                (x, y + (step // 2 if (x // (step // 2)) % 2 else 0))
                for x in range(0, side + step, step // 2)
            ]
            draw.line(points, fill=accent, width=step // 4)
    # a plain disc behind the initial so the letter reads on any pattern
    margin = side // 5
    draw.ellipse([margin, margin, side - margin, side - margin], fill=_shade(rgb, 1.0))
    return image


class _Painter:
    """Draws product pictures, reusing each pattern background and letter shape."""

    def __init__(self) -> None:
        self.font = ImageFont.load_default(size=IMAGE_SIDE // 2)
        self.backgrounds: dict[tuple[str, tuple[int, int, int]], Image.Image] = {}
        self.letters: dict[str, tuple[Image.Image, tuple[int, int]]] = {}

    def _letter(self, letter: str) -> tuple[Image.Image, tuple[int, int]]:
        """The letter's shape, cropped to where it has ink, and where it goes."""
        if letter not in self.letters:
            mask = Image.new("L", (IMAGE_SIDE, IMAGE_SIDE), 0)
            centre = IMAGE_SIDE // 2
            ImageDraw.Draw(mask).text(
                (centre, centre), letter, font=self.font, fill=255, anchor="mm"
            )
            box = mask.getbbox() or (0, 0, 1, 1)
            self.letters[letter] = (mask.crop(box), (box[0], box[1]))
        return self.letters[letter]

    def paint(self, *, pattern: str, rgb: tuple[int, int, int], letter: str) -> Image.Image:
        key = (pattern, rgb)
        if key not in self.backgrounds:
            self.backgrounds[key] = _background(pattern, rgb)
        image = self.backgrounds[key].copy()
        shape, corner = self._letter(letter)
        image.paste(_ink(rgb), (*corner, corner[0] + shape.width, corner[1] + shape.height), shape)
        return image


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def demo_images_create(*, products: list[Product], progress: Progress | None = None) -> int:
    """One generated picture (and its thumbnail) for each of `products`: the pattern and
    colour of its category (or its own colour), with its initial."""
    report = progress or (lambda done, total: None)
    painter = _Painter()
    factor = max(2, -(-IMAGE_SIDE // settings.IMAGE_THUMBNAIL_SIDE))  # thumbnails fit the setting
    rows: list[ProductImage] = []
    saved: list[str] = []
    try:
        for index, product in enumerate(products, start=1):
            rows.append(_picture(painter, product, factor, saved))
            if index % 100 == 0 or index == len(products):
                report(index, len(products))
        ProductImage.objects.bulk_create(rows)
    except Exception:
        for name in saved:
            default_storage.delete(name)
        raise
    return len(rows)


def _picture(painter: _Painter, product: Product, factor: int, saved: list[str]) -> ProductImage:
    colour = str(product.attributes.get("colour", ""))
    rgb = COLOUR_RGB.get(colour) or PALETTE[product.category_id % len(PALETTE)]
    pattern = PATTERNS[product.category_id % len(PATTERNS)]
    image = painter.paint(pattern=pattern, rgb=rgb, letter=(product.name[:1] or "S").upper())
    thumb = image.reduce(factor)
    stem = secrets.token_hex(8)
    for suffix, picture in (("", image), ("-thumb", thumb)):
        saved.append(
            default_storage.save(
                f"products/{product.pk}/{stem}{suffix}.jpg", ContentFile(_jpeg(picture))
            )
        )
    return ProductImage(
        product=product,
        image=saved[-2],
        thumbnail=saved[-1],
        alt=product.name[:200],
        position=0,
        width=IMAGE_SIDE,
        height=IMAGE_SIDE,
    )


def _rating(rng: random.Random, quality: float) -> int:
    return max(1, min(5, round(rng.gauss(quality, 0.8))))


def demo_reviews_create(*, products: list[Product], seed: int) -> tuple[int, int]:
    """Reviews by demo reviewers on about 60% of `products` (each product with a quality of
    its own, so ratings differ), then the product and shop ratings, review counts and search
    scores they make. Returns (reviews, reviewed products)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
    password = make_password(None)  # unusable: reviewers cannot sign in
    start = User.objects.filter(email__startswith="reviewer-").count()
    reviewers = User.objects.bulk_create(
        [
            User(
                email=f"reviewer-{start + index + 1}@souk.test",
                first_name=rng.choice(v.FIRST_NAMES),
                last_name=rng.choice(v.LAST_NAMES),
                role=User.Role.CUSTOMER,
                password=password,
            )
            for index in range(REVIEWERS)
        ]
    )
    now = timezone.now()
    reviews: list[Review] = []
    reviewed = [product for product in products if rng.random() < REVIEWED_SHARE]
    for product in reviewed:
        quality = rng.uniform(2.2, 5.0)
        for reviewer in rng.sample(reviewers, rng.randint(1, MAX_REVIEWS)):
            rating = _rating(rng, quality)
            reviews.append(
                Review(
                    product=product,
                    customer=reviewer,
                    rating=rating,
                    title=rng.choice(TITLES[rating]),
                    body=BODIES[rating],
                    created_at=now - timedelta(minutes=rng.randrange(1, 180 * 24 * 60)),
                )
            )
    Review.objects.bulk_create(reviews)
    _ratings_refresh([product.pk for product in reviewed])
    return len(reviews), len(reviewed)


def _ratings_refresh(product_ids: list[int]) -> None:
    """Ratings, counts and search scores from the reviews, as `review_create` keeps them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_product p SET rating = round(r.avg, 2), review_count = r.n, "
            "search_score = (%s * %s + r.total) / (%s + r.n), updated_at = now() FROM "
            "(SELECT product_id, avg(rating) AS avg, count(*) AS n, sum(rating) AS total "
            "FROM catalog_review WHERE product_id = ANY(%s) AND deleted_at IS NULL "
            "GROUP BY product_id) r "
            "WHERE p.id = r.product_id",
            [SCORE_PRIOR_MEAN, SCORE_PRIOR_WEIGHT, SCORE_PRIOR_WEIGHT, product_ids],
        )
        cursor.execute(
            "UPDATE shops_shop s SET rating = round(r.avg, 2), review_count = r.n, "
            "updated_at = now() FROM "
            "(SELECT p.shop_id, avg(rv.rating) AS avg, count(*) AS n FROM catalog_review rv "
            "JOIN catalog_product p ON p.id = rv.product_id WHERE rv.deleted_at IS NULL "
            "GROUP BY p.shop_id) r "
            "WHERE s.id = r.shop_id"
        )


def demo_extras_create(
    *, products_after: int, seed: int, progress: Progress | None = None
) -> DemoExtras:
    """Reviews and pictures for the products with ids above `products_after` (those the demo
    catalog just added)."""
    products = list(Product.objects.filter(pk__gt=products_after).order_by("pk"))
    with transaction.atomic():
        reviews, reviewed = demo_reviews_create(products=products, seed=seed)
        names_rebuild()  # suggestions rank names by the new search scores
        images = demo_images_create(products=products, progress=progress)
    return DemoExtras(reviews=reviews, reviewed_products=reviewed, images=images)
