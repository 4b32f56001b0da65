"""One-time codes sent by email or SMS: request, verify, and password reset.

Rules: 6 digits from a CSPRNG, stored as a keyed hash, valid OTP_TTL_SECONDS, single use,
OTP_MAX_ATTEMPTS wrong tries burn the code. Per target: one request per
OTP_RESEND_COOLDOWN_SECONDS and OTP_MAX_SENDS_PER_HOUR an hour, whether or not an account
exists, so neither the answer nor the limits reveal who has an account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from souk.accounts.identifiers import EMAIL, Target, parse_target
from souk.accounts.locks import otp_live_lock
from souk.accounts.models import OtpCode, User
from souk.accounts.services.users import user_set_password
from souk.accounts.sms import send_sms
from souk.core.exceptions import DomainError
from souk.core.ratelimit import Limit, limit_hit
from souk.core.tasks import enqueue_on_commit

Purpose = OtpCode.Purpose


class InvalidOtp(DomainError):
    status_code = 400
    code = "invalid_otp"
    title = "Invalid code"
    default_detail = "The code is wrong, expired or already used."


@dataclass(frozen=True)
class OtpIssued:
    """What the sending task needs. The plain code exists only here and in the message."""

    otp_id: int
    code: str


def _send_limit() -> Limit:
    return Limit(
        scope="otp-send",
        limit=settings.OTP_MAX_SENDS_PER_HOUR,
        window_seconds=3600,
        cooldown_seconds=settings.OTP_RESEND_COOLDOWN_SECONDS,
    )


def _hash(*, target: str, purpose: str, code: str) -> str:
    return salted_hmac("souk.otp", f"{purpose}:{target}:{code}", algorithm="sha256").hexdigest()


def _generate_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _parse(target: str, field: str = "target") -> Target:
    try:
        return parse_target(target)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _account_for(target: Target) -> User | None:
    lookup = {"email": target.value} if target.channel == EMAIL else {"phone": target.value}
    return User.objects.filter(is_active=True, **lookup).first()


def otp_request(*, target: str, purpose: str) -> OtpIssued | None:
    """Issue a code for `target` and send it after commit. Returns None (and sends nothing)
    when no active account has that email or phone; the caller answers the same either way."""
    parsed = _parse(target)
    limit_hit(_send_limit(), f"{parsed.channel}:{parsed.value}")
    user = _account_for(parsed)
    if user is None:
        return None
    from souk.accounts.tasks import otp_send_task  # tasks import this module

    code = _generate_code()
    now = timezone.now()
    with transaction.atomic():
        # A new code replaces any earlier live one for the same target and purpose.
        OtpCode.objects.filter(
            target=parsed.value, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        otp = OtpCode.objects.create(
            user=user,
            target=parsed.value,
            channel=parsed.channel,
            purpose=purpose,
            code_hash=_hash(target=parsed.value, purpose=purpose, code=code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        enqueue_on_commit(otp_send_task, otp.pk, code, log_args=False)  # the code is a secret
    return OtpIssued(otp_id=otp.pk, code=code)


def _redeem(*, target: Target, purpose: str, code: str) -> OtpCode | None:
    """Inside a transaction: lock the live code, count a wrong try or mark it used.
    Returns the used code, or None when the code is wrong (the try is still counted)."""
    otp = otp_live_lock(target=target.value, purpose=purpose)
    if otp is None or otp.attempts >= settings.OTP_MAX_ATTEMPTS:
        return None
    expected = _hash(target=target.value, purpose=purpose, code=code)
    if not constant_time_compare(expected, otp.code_hash):
        OtpCode.objects.filter(pk=otp.pk).update(attempts=F("attempts") + 1)
        return None
    otp.used_at = timezone.now()
    otp.save(update_fields=["used_at"])
    return otp


def _mark_verified(user: User, channel: str) -> None:
    field = "is_email_verified" if channel == EMAIL else "is_phone_verified"
    if not getattr(user, field):
        setattr(user, field, True)
        user.save(update_fields=[field])


def otp_verify(*, target: str, code: str, purpose: str) -> User:
    """Redeem a login or verify code. Proving the code also proves the email or phone."""
    parsed = _parse(target)
    with transaction.atomic():
        otp = _redeem(target=parsed, purpose=purpose, code=code)
        if otp is not None:
            if not otp.user.is_active:
                otp = None
            else:
                _mark_verified(otp.user, parsed.channel)
    # Raised outside the transaction so that the wrong try stays counted.
    if otp is None:
        raise InvalidOtp()
    return otp.user


def password_reset(*, target: str, code: str, new_password: str) -> None:
    """Set a new password with a reset_password code; every session is signed out."""
    parsed = _parse(target)
    failed = False
    with transaction.atomic():
        otp = _redeem(target=parsed, purpose=Purpose.RESET_PASSWORD, code=code)
        if otp is None or not otp.user.is_active:
            failed = True
        else:
            # A weak password raises here and rolls back: the code stays usable.
            user_set_password(user=otp.user, new_password=new_password)
            _mark_verified(otp.user, parsed.channel)
    if failed:
        raise InvalidOtp()


def otp_codes_prune(*, older_than: timedelta = timedelta(0)) -> int:
    deleted, _ = OtpCode.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted


_SUBJECTS = {
    Purpose.LOGIN: "Your Souk sign-in code",
    Purpose.VERIFY: "Confirm your Souk contact details",
    Purpose.RESET_PASSWORD: "Reset your Souk password",
}


def otp_message(*, purpose: str, code: str) -> tuple[str, str]:
    minutes = settings.OTP_TTL_SECONDS // 60
    subject = _SUBJECTS.get(Purpose(purpose), "Your Souk code")
    body = (
        f"Your Souk code is {code}. It expires in {minutes} minutes and works once.\n"
        "If you did not ask for it, ignore this message; nobody can use it without you."
    )
    return subject, body


def otp_deliver(*, otp_id: int, code: str) -> bool:
    """Send a live, not yet sent code by its channel. Safe to retry: a code that was sent,
    used or expired is not sent again. Returns whether a message went out."""
    otp = OtpCode.objects.filter(
        pk=otp_id, sent_at__isnull=True, used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    if otp is None:
        return False
    subject, body = otp_message(purpose=otp.purpose, code=code)
    if otp.channel == EMAIL:
        send_mail(subject, body, None, [otp.target])
    else:
        send_sms(to=otp.target, body=body)
    OtpCode.objects.filter(pk=otp.pk, sent_at__isnull=True).update(sent_at=timezone.now())
    return True
