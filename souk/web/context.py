"""What every page's layout needs (a template context processor)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from souk.shops.policy import is_member_of_any

# The studio's sections, in the order of its menu.
STUDIO_LINKS = [
    ("studio:dashboard", _("Dashboard")),
    ("studio:orders", _("Orders")),
    ("studio:inventory", _("Inventory")),
    ("studio:purchases", _("Purchases")),
    ("studio:products", _("Products")),
    ("studio:shop", _("Shop settings")),
    ("studio:staff", _("Staff")),
]


def _routed(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def layout(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    in_studio = bool(
        request.resolver_match is not None and request.resolver_match.namespace == "studio"
    )
    return {
        "is_artisan": bool(user is not None and user.is_authenticated and is_member_of_any(user)),
        "studio_links": [(n, label) for n, label in STUDIO_LINKS if _routed(n)]
        if in_studio
        else [],
    }
