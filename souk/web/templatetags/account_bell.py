"""`{% bell %}`: the signed-in user's notification bell with its unread count; `|ago`: how long
ago something happened, in words ("just now", "5 minutes ago")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from souk.web.views.account_inbox import bell_context

register = template.Library()


@register.inclusion_tag("web/components/bell.html", takes_context=True)
def bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"signed_in": False}
    return {"signed_in": True, **bell_context(user)}


@register.filter
def ago(moment: datetime) -> str:
    if timezone.now() - moment < timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment)}
