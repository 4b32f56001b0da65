"""The notification bell and the inbox page (souk.notifications' selectors and services)."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from souk.accounts.models import User
from souk.core.exceptions import NotFound
from souk.notifications import selectors
from souk.notifications.services import inbox

PAGE_SIZE = 20
# htmx's status for "stop polling": a signed-out page stops asking.
STOP_POLLING = 286
CHANGED_EVENT = "notifications-changed"


def bell_context(user: User) -> dict[str, object]:
    return {
        "unread": inbox.unread_count(user=user),
        "poll_seconds": getattr(settings, "WEB_BELL_POLL_SECONDS", 30),
    }


@require_GET
def bell_view(request: HttpRequest) -> HttpResponse:
    """The bell's inside (icon and count), polled by htmx."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    context = bell_context(request.user)
    return render(request, "web/components/bell_count.html", context)


def _list_context(request: HttpRequest) -> dict[str, object]:
    user = cast(User, request.user)
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.notifications(user=user, unread=True if unread_only else None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "unread_only": unread_only, "unread": inbox.unread_count(user=user)}


@login_required
@require_GET
def notifications_view(request: HttpRequest) -> HttpResponse:
    return render(request, "web/shop/account/notifications.html", _list_context(request))


def _changed(response: HttpResponse) -> HttpResponse:
    response["HX-Trigger"] = CHANGED_EVENT  # the bell refreshes its count
    return response


@login_required
@require_POST
def notification_read_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    try:
        inbox.notification_read(user=user, notification_id=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    if request.htmx:  # type: ignore[attr-defined]
        notification = selectors.notifications(user=user).get(pk=pk)
        context = {"notification": notification}
        return _changed(render(request, "web/shop/account/notification_item.html", context))
    messages.success(request, _("Marked as read."))
    return redirect(reverse("shop:notifications"))


@login_required
@require_POST
def notifications_read_all_view(request: HttpRequest) -> HttpResponse:
    marked = inbox.notifications_read_all(user=cast(User, request.user))
    text = _("All caught up: %(count)s marked as read.") % {"count": marked}
    if request.htmx:  # type: ignore[attr-defined]
        context = {**_list_context(request), "done": text}
        return _changed(render(request, "web/shop/account/notification_list.html", context))
    messages.success(request, text)
    return redirect(reverse("shop:notifications"))
