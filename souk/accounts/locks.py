"""Lock plans of accounts: address books, one-time codes and refresh tokens. The order they
follow is `souk.core.locks.LOCK_ORDER`."""

from __future__ import annotations

from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from souk.accounts.models import OtpCode, User
from souk.core.locks import lock_first, lock_plan, lock_rows


@lock_plan("accounts.User")
def address_book_lock(*, user_id: int) -> None:
    """Serialise changes to one user's address book (the default flag moves between rows)."""
    lock_rows(User.objects.only("pk"), [user_id])


@lock_plan("accounts.OtpCode")
def otp_live_lock(*, target: str, purpose: str) -> OtpCode | None:
    """The newest live code for `target` and `purpose` (with its user), locked; None if none."""
    return lock_first(
        OtpCode.objects.select_related("user")
        .filter(
            target=target,
            purpose=purpose,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at", "-id"),
        of_self=False,
    )


@lock_plan("token_blacklist.OutstandingToken")
def outstanding_token_lock(*, jti: str | None) -> OutstandingToken | None:
    """The refresh token's outstanding row, locked (None if unknown)."""
    return lock_first(OutstandingToken.objects.filter(jti=jti))
