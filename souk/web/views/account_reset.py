"""Forgotten password: a one-time code by email or SMS, then a new password
(souk.accounts' otp services; every session is signed out by the service)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from souk.accounts.api.serializers import PasswordResetSerializer
from souk.accounts.api.throttling import OtpThrottle
from souk.accounts.models import OtpCode
from souk.accounts.services import otp as otp_services
from souk.web.forms import NON_FIELD, Errors, posted, service_errors, validate
from souk.web.views.account import otp_send, throttled

TEMPLATE = "web/shop/account/password_reset.html"


def _ask(request: HttpRequest) -> tuple[str, Errors, int]:
    return otp_send(request, OtpCode.Purpose.RESET_PASSWORD, "reset")


def _reset(request: HttpRequest) -> Errors | None:
    """None when the password was changed, else the errors to show."""
    data = posted(request.POST, ("target", "code", "new_password"))
    valid, errors = validate(PasswordResetSerializer, data)
    if errors:
        return errors
    try:
        otp_services.password_reset(**valid)
    except ValidationError as exc:
        return service_errors(exc)
    except otp_services.InvalidOtp:
        return {"code": [_("That code is wrong, expired or already used.")]}
    return None


@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    errors: Errors = {}
    step, status = "request", 200
    if request.method == "POST":
        action = "reset" if request.POST.get("action") == "reset" else "request"
        refusal = throttled(request, [OtpThrottle], {})
        if refusal:
            step, errors, status = action, {NON_FIELD: [refusal]}, 429
        elif action == "reset":
            step, found = "reset", _reset(request)
            if found is None:
                messages.success(request, _("Your password is changed. Log in with it now."))
                return redirect(reverse("shop:login"))
            errors = found
        else:
            step, errors, status = _ask(request)
    context = {"errors": errors, "values": posted(request.POST, ("target",)), "step": step}
    return render(request, TEMPLATE, context, status=status)
