"""`{% bell %}`: the signed-in user's notification bell with its unread count."""

from __future__ import annotations

from typing import Any

from django import template

from souk.web.views.account_inbox import bell_context

register = template.Library()


@register.inclusion_tag("web/components/bell.html", takes_context=True)
def bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"signed_in": False}
    return {"signed_in": True, **bell_context(user)}
