"""Bulk-load a realistic catalog: `manage.py seed_data --shops 20 --products 1000 --seed 1`."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from souk.inventory.seed import seed_catalog


class ProgressBar:
    def __init__(self, stream: Any, label: str) -> None:
        self.stream = stream
        self.label = label
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(1, total))
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done:>9,}/{total:,} {rate:,.0f}/s"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Create shops and products with variants (fast enough for a million products)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shops", type=int, default=20)
        parser.add_argument("--products", type=int, default=1000)
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["shops"] < 1 or options["products"] < 0:
            raise CommandError("--shops must be at least 1 and --products at least 0.")
        result = seed_catalog(
            shops=options["shops"],
            products=options["products"],
            seed=options["seed"],
            progress=ProgressBar(sys.stderr, "products"),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.shops:,} shops, {result.products:,} products and "
                f"{result.variants:,} variants in {result.seconds:.1f} s."
            )
        )
