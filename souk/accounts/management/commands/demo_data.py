"""Load the demo data set into an empty database and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from souk.accounts.models import User

DEMO_USERS = [
    # (email, password, role, first name, last name)
    ("admin@souk.test", "souk-demo-admin", User.Role.ADMIN, "Ada", "Admin"),
    ("artisan@souk.test", "souk-demo-artisan", User.Role.ARTISAN, "Amina", "Potter"),
    ("customer@souk.test", "souk-demo-customer", User.Role.CUSTOMER, "Carlos", "Buyer"),
]


class Command(BaseCommand):
    help = "Create the demo accounts (and demo catalog) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Database not empty; demo data not loaded.")
            return
        with transaction.atomic():
            for email, password, role, first, last in DEMO_USERS:
                if User.objects.filter(email=email).exists():
                    continue
                if role == User.Role.ADMIN:
                    User.objects.create_superuser(
                        email,
                        password,
                        first_name=first,
                        last_name=last,
                        is_email_verified=True,
                    )
                else:
                    User.objects.create_user(
                        email,
                        password,
                        role=role,
                        first_name=first,
                        last_name=last,
                        is_email_verified=True,
                    )
        self.stdout.write(self.style.SUCCESS("Demo logins (email / password):"))
        for email, password, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {role:<9} {email:<22} {password}")
