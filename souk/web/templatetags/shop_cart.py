"""`{% cart_count as n %}`: the units in the signed-in shopper's cart, for the header."""

from __future__ import annotations

from typing import Any

from django import template

from souk.orders.selectors import cart_count as cart_units

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return cart_units(user=user)
