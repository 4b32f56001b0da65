"""Who may open the shopper's pages: signed-in users. An htmx request from someone signed out
is told to load the login page (HX-Redirect) instead of swapping it into a fragment."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

View = Callable[..., HttpResponse]


def shopper_required(view: View) -> View:
    guarded = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:  # type: ignore[attr-defined]
            back = request.headers.get("hx-current-url") or request.get_full_path()
            login = redirect_to_login(back, resolve_url(settings.LOGIN_URL))
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login["Location"]
            return response
        return guarded(request, *args, **kwargs)

    return wrapper
