"""Demo accounts for `manage.py demo_data` (local development only)."""

from __future__ import annotations

from souk.accounts.models import Address, User

DEMO_USERS = [
    # (email, password, role, first name, last name)
    ("admin@souk.test", "souk-demo-admin", User.Role.ADMIN, "Ada", "Admin"),
    ("artisan@souk.test", "souk-demo-artisan", User.Role.ARTISAN, "Amina", "Potter"),
    ("customer@souk.test", "souk-demo-customer", User.Role.CUSTOMER, "Carlos", "Buyer"),
]


def demo_users_create() -> dict[str, User]:
    """Create the demo logins that do not exist yet; returns them by role."""
    users: dict[str, User] = {}
    for email, password, role, first, last in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            extra = {"first_name": first, "last_name": last, "is_email_verified": True}
            if role == User.Role.ADMIN:
                user = User.objects.create_superuser(email, password, **extra)
            else:
                user = User.objects.create_user(email, password, role=role, **extra)
        users[str(role)] = user
    customer = users[str(User.Role.CUSTOMER)]
    if not Address.objects.filter(user=customer).exists():
        Address.objects.create(
            user=customer,
            label="Home",
            recipient="Carlos Buyer",
            line1="12 Rue Talaa Kebira",
            city="Fes",
            country="MA",
            is_default=True,
        )
    return users


def demo_logins(*, existing_only: bool = False) -> list[tuple[str, str, str]]:
    """(role, email, password) of the demo logins; with `existing_only`, of those whose
    account exists."""
    existing = (
        set(
            User.objects.filter(email__in=[row[0] for row in DEMO_USERS]).values_list(
                "email", flat=True
            )
        )
        if existing_only
        else {row[0] for row in DEMO_USERS}
    )
    return [
        (str(role), email, password)
        for email, password, role, _, _ in DEMO_USERS
        if email in existing
    ]
