"""The demo data set: demo logins and a small catalog (the demo artisan owns the first shop)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from souk.accounts.demo import demo_logins, demo_users_create
from souk.accounts.models import User
from souk.catalog.management.commands.seed_data import ProgressBar
from souk.catalog.seed import seed_catalog


class Command(BaseCommand):
    help = "Load the demo data (logins, 20 shops, 1000 products) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database has users."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Database not empty; demo data not loaded.")
            return
        users = demo_users_create()
        result = seed_catalog(
            shops=20,
            products=1000,
            seed=1,
            first_owner=users["artisan"],
            progress=ProgressBar(sys.stderr, "demo products"),
        )
        self.stdout.write(
            f"Demo catalog: {result.shops} shops, {result.products} products, "
            f"{result.variants} variants."
        )
        self.stdout.write(self.style.SUCCESS("Demo logins (role, email, password):"))
        for role, email, password in demo_logins():
            self.stdout.write(f"  {role:<9} {email:<22} {password}")
