"""The demo data set: demo logins and a small catalog (the demo artisan owns the first shop),
with customers' reviews and a generated picture for every product."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Max

from souk.accounts.demo import demo_logins, demo_users_create
from souk.accounts.models import User
from souk.catalog.models import Product
from souk.catalog.seed.demo import demo_extras_create
from souk.inventory.management.commands.seed_data import ProgressBar
from souk.inventory.seed import seed_catalog


class Command(BaseCommand):
    help = (
        "Load the demo data (logins, 20 shops, 1000 products with reviews and pictures) and "
        "print the demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database has users."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Database not empty; demo data not loaded.")
            self._print_logins()
            return
        users = demo_users_create()
        before = Product.all_objects.aggregate(last=Max("pk"))["last"] or 0
        result = seed_catalog(
            shops=20,
            products=1000,
            seed=1,
            first_owner=users["artisan"],
            progress=ProgressBar(sys.stderr, "demo products"),
        )
        extras = demo_extras_create(
            products_after=before, seed=1, progress=ProgressBar(sys.stderr, "demo pictures")
        )
        self.stdout.write(
            f"Demo catalog: {result.shops} shops, {result.products} products, "
            f"{result.variants} variants, {extras.reviews} reviews of "
            f"{extras.reviewed_products} products, {extras.images} pictures."
        )
        self._print_logins()

    def _print_logins(self) -> None:
        """The demo logins that exist (every run prints them, not only the first)."""
        logins = demo_logins(existing_only=True)
        if not logins:
            return
        self.stdout.write(self.style.SUCCESS("Demo logins (role, email, password):"))
        for role, email, password in logins:
            self.stdout.write(f"  {role:<9} {email:<22} {password}")
