"""The studio's pages act for one shop at a time: the signed-in member's shop chosen in the
session (`?shop=<id>` switches), else the first they belong to; a change posted from a page
names the shop that page showed (`studio_shop`, added to its forms by studio-shop.js), which
wins over the session. Views get it from
`studio_shop(request)`, which refuses (404) anyone who is not a member."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from souk.shops.models import Shop
from souk.shops.policy import member_shop_ids

SESSION_KEY = "studio_shop_id"


def studio_shops(request: HttpRequest) -> list[Shop]:
    return list(Shop.objects.filter(pk__in=member_shop_ids(request.user)).order_by("name", "id"))


def studio_shop(request: HttpRequest) -> Shop:
    shops = studio_shops(request)
    if not shops:
        raise Http404("You are not a member of any shop.")
    posted = request.POST.get("studio_shop") if request.method == "POST" else None
    if posted:
        # A change is for the shop its page showed, whatever the session holds now.
        chosen = next((shop for shop in shops if str(shop.pk) == posted), None)
        if chosen is None:
            raise Http404("You are not a member of this shop.")
        return chosen
    wanted = request.GET.get("shop") or request.session.get(SESSION_KEY)
    chosen = next((shop for shop in shops if str(shop.pk) == str(wanted)), shops[0])
    request.session[SESSION_KEY] = chosen.pk
    return chosen


def studio_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A studio page: signed in, and a member of a shop (`request.studio_shop`)."""

    @login_required
    @wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.studio_shop = studio_shop(request)  # type: ignore[attr-defined]
        request.studio_shops = studio_shops(request)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return run
