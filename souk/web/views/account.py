"""Signing in and out of the pages: password or one-time code, sign-up, log out.

The pages use Django's session (and CSRF); the rules live in souk.accounts' services and are
throttled exactly as the API throttles them (the API's own throttle classes and rates). A form
with errors comes back as 200 with the errors beside its fields (as browsers expect); only a
throttled post is 429."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, cast

from django.conf import settings
from django.contrib import auth, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.throttling import BaseThrottle

from souk.accounts.api.serializers import (
    LoginSerializer,
    OtpRequestSerializer,
    OtpVerifySerializer,
    RegisterSerializer,
)
from souk.accounts.api.throttling import (
    LoginIdentifierThrottle,
    LoginThrottle,
    OtpThrottle,
    RegisterThrottle,
)
from souk.accounts.models import OtpCode, User
from souk.accounts.services import otp as otp_services
from souk.accounts.services import users as user_services
from souk.accounts.services.tokens import AuthenticationFailed
from souk.core.exceptions import PermissionDeniedError, RateLimited
from souk.web.forms import NON_FIELD, Errors, posted, service_errors, validate

BACKEND = settings.AUTHENTICATION_BACKENDS[0]


def url_or(name: str, fallback: str = "/") -> str:
    """The URL of a named route, or `fallback` while that route does not exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def next_url(request: HttpRequest, default: str | None = None) -> str:
    """Where to go after signing in: `next` when it is on this site, else `default` or home."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default or url_or("shop:home")


def throttled(
    request: HttpRequest, throttles: list[type[BaseThrottle]], data: dict[str, Any]
) -> str | None:
    """The API's throttles, counted for this form post; a message when one says no."""
    probe = cast(Any, SimpleNamespace(META=request.META, headers=request.headers, data=data))
    for throttle_class in throttles:
        throttle = throttle_class()
        if not throttle.allow_request(probe, cast(Any, None)):
            seconds = max(1, math.ceil(throttle.wait() or 1))
            return _("Too many attempts. Please try again in %(seconds)s seconds.") % {
                "seconds": seconds
            }
    return None


def _sign_in(request: HttpRequest, user: User) -> None:
    auth.login(request, user, backend=BACKEND)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    errors: Errors = {}
    status = 200
    if request.method == "POST":
        data = posted(request.POST, ("identifier", "password"))
        refusal = throttled(request, [LoginThrottle, LoginIdentifierThrottle], data)
        if refusal:
            errors, status = {NON_FIELD: [refusal]}, 429
        else:
            valid, errors = validate(LoginSerializer, data)
            user = _password_login(request, valid, errors)
            if user is not None:
                _sign_in(request, user)
                messages.success(request, _("Welcome back, %(name)s.") % {"name": _name(user)})
                return redirect(next_url(request))
    context = {
        "errors": errors,
        "values": posted(request.POST, ("identifier",)),
        "next": _next_param(request),
    }
    return render(request, "web/shop/account/login.html", context, status=status)


def _password_login(request: HttpRequest, valid: dict[str, Any], errors: Errors) -> User | None:
    if errors:
        return None
    try:
        return user_services.user_login(request=request, **valid)
    except AuthenticationFailed:
        errors[NON_FIELD] = [_("The email, phone number or password is not right.")]
        return None


def _name(user: User) -> str:
    return user.first_name or user.email


@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    """Sign in with a code: ask for one (step "request"), then type it (step "verify")."""
    errors: Errors = {}
    step, status = "request", 200
    if request.method == "POST":
        action = "verify" if request.POST.get("action") == "verify" else "request"
        refusal = throttled(request, [OtpThrottle], {})
        if refusal:
            step, errors, status = action, {NON_FIELD: [refusal]}, 429
        elif action == "verify":
            step, errors, user = _otp_verify(request)
            if user is not None:
                _sign_in(request, user)
                messages.success(request, _("You are signed in."))
                return redirect(next_url(request))
        else:
            step, errors, status = _otp_request(request)
    context = {
        "errors": errors,
        "values": posted(request.POST, ("target",)),
        "step": step,
        "next": _next_param(request),
        "minutes": settings.OTP_TTL_SECONDS // 60,
    }
    return render(request, "web/shop/account/otp.html", context, status=status)


def _next_param(request: HttpRequest) -> str:
    return request.POST.get("next") or request.GET.get("next", "")


def otp_send(request: HttpRequest, purpose: str, next_step: str) -> tuple[str, Errors, int]:
    """Send a one-time code for `purpose` to the posted target: (step to show, errors, status);
    `next_step` once a code is on its way (or was sent a moment ago)."""
    data = {"target": request.POST.get("target", ""), "purpose": purpose}
    valid, errors = validate(OtpRequestSerializer, data)
    if errors:
        return "request", errors, 200
    try:
        otp_services.otp_request(**valid)
    except ValidationError as exc:
        return "request", service_errors(exc), 200
    except RateLimited as exc:
        text = _("A code was sent a moment ago. You can ask again in %(seconds)s seconds.")
        return next_step, {NON_FIELD: [text % {"seconds": exc.retry_after}]}, 429
    # The same answer whether or not an account exists.
    messages.info(request, _("If an account matches, a 6-digit code is on its way."))
    return next_step, {}, 200


def _otp_request(request: HttpRequest) -> tuple[str, Errors, int]:
    return otp_send(request, OtpCode.Purpose.LOGIN, "verify")


def _otp_verify(request: HttpRequest) -> tuple[str, Errors, User | None]:
    data = {
        "target": request.POST.get("target", ""),
        "code": request.POST.get("code", "").strip(),
        "purpose": OtpCode.Purpose.LOGIN,
    }
    valid, errors = validate(OtpVerifySerializer, data)
    if errors:
        return "verify", errors, None
    try:
        user = otp_services.otp_verify(**valid)
    except ValidationError as exc:
        return "verify", service_errors(exc), None
    except otp_services.InvalidOtp:
        wrong = _("That code is wrong, expired or already used. Check it or ask for a new one.")
        return "verify", {"code": [wrong]}, None
    return "verify", {}, user


SIGNUP_FIELDS = ("email", "password", "first_name", "last_name", "phone")


@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    errors: Errors = {}
    status = 200
    values = posted(request.POST, ("email", "first_name", "last_name", "phone", "artisan"))
    if request.method == "POST":
        data: dict[str, Any] = posted(request.POST, SIGNUP_FIELDS)
        data["role"] = User.Role.ARTISAN if request.POST.get("artisan") else User.Role.CUSTOMER
        refusal = throttled(request, [RegisterThrottle], data)
        if refusal:
            errors, status = {NON_FIELD: [refusal]}, 429
        else:
            valid, errors = validate(RegisterSerializer, data)
            user = _register(valid, errors)
            if user is not None:
                _sign_in(request, user)
                messages.success(request, _("Welcome to Souk! Your account is ready."))
                return redirect(_after_signup(request, user))
    context = {"errors": errors, "values": values, "next": _next_param(request)}
    return render(request, "web/shop/account/signup.html", context, status=status)


def _register(valid: dict[str, Any], errors: Errors) -> User | None:
    if errors:
        return None
    try:
        return user_services.user_register(**valid)
    except ValidationError as exc:
        errors.update(service_errors(exc))
        return None


def _studio_start() -> str:
    """Where a new artisan starts: opening a shop, else the studio, else home."""
    return url_or("studio:shop-new", url_or("studio:dashboard", url_or("shop:home")))


def _after_signup(request: HttpRequest, user: User) -> str:
    if user.role == User.Role.ARTISAN:
        return _studio_start()
    return next_url(request)


@require_POST
def become_artisan_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{url_or('shop:login')}?next={url_or('shop:signup')}")
    try:
        user_services.user_become_artisan(user=request.user)
    except PermissionDeniedError as exc:
        messages.error(request, str(exc.detail))
        return redirect(url_or("shop:signup"))
    messages.success(request, _("You are an artisan now: open your shop to start selling."))
    return redirect(_studio_start())


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    messages.success(request, _("You are signed out. See you soon."))
    return redirect(url_or("shop:home"))
